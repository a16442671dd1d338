"""The app's own requests, answered in-process: how the publisher renders documents.

A small handler on Django's `BaseHandler`: the middleware chain is loaded once, and each
document is one `get_response` on a `WSGIRequest` built from a minimal environ, the one a
first-time reader's GET would produce behind the page's public host. Unlike Django's test
`Client` it sends no `request_started` / `request_finished` signals: the test client
disconnects `close_old_connections` from them while it runs, globally, which in a live
process (a web worker publishing after its own write, an RQ work horse) would let another
thread's request keep a connection it must close. The caller's database connection is left as
it is, as for any code that runs inside one request or job.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from io import BytesIO
from typing import Any, cast

from django.core.handlers.base import BaseHandler
from django.core.handlers.wsgi import WSGIRequest, get_script_name
from django.http import HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.urls import set_script_prefix


class Answer:
    """What the origin answered: status, headers and the whole body, already read and the
    response's resources released (an open static file, the request's own closers).
    `HttpResponseBase.close()` would also send `request_finished`, which this is not."""

    def __init__(self, response: HttpResponseBase):
        self.response = response
        try:
            if isinstance(response, StreamingHttpResponse):  # static files (WhiteNoise)
                self.body = b"".join(cast(Iterable[bytes], response.streaming_content))
            else:
                self.body = cast(HttpResponse, response).content
        finally:
            # What response.close() does but its request_finished signal (see above): the
            # open static file and the request's own closers.
            closers: list[Callable[[], object]] = getattr(response, "_resource_closers", [])
            for closer in closers:
                closer()
            closers.clear()
            response.closed = True
        self.status_code = response.status_code

    def get(self, header: str, default: str = "") -> str:
        return self.response.get(header, default)

    def __getitem__(self, header: str) -> str:
        return self.response[header]

    def has_header(self, header: str) -> bool:
        return self.response.has_header(header)


class Renderer(BaseHandler):
    """GET requests to the app itself, through the whole middleware chain and URLconf."""

    def __init__(self, *, host: str, secure: bool, extra: dict[str, Any] | None = None):
        super().__init__()
        self.load_middleware()
        self.host = host
        self.secure = secure
        self.extra = extra or {}

    def environ(self, path: str, query: str) -> dict[str, Any]:
        environ: dict[str, Any] = {
            "REQUEST_METHOD": "GET",
            "SCRIPT_NAME": "",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_NAME": self.host.rsplit(":", 1)[0],
            "SERVER_PORT": "443" if self.secure else "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": self.host,
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "https" if self.secure else "http",
            "wsgi.input": BytesIO(b""),
            "wsgi.errors": sys.stderr,
            "wsgi.multiprocess": True,
            "wsgi.multithread": False,
            "wsgi.run_once": False,
        }
        if self.secure:
            # As the proxy in front of the app says it (SECURE_PROXY_SSL_HEADER).
            environ["HTTP_X_FORWARDED_PROTO"] = "https"
        environ.update(self.extra)
        return environ

    def get(self, path: str, query: str = "") -> Answer:
        environ = self.environ(path, query)
        set_script_prefix(get_script_name(environ))
        request = WSGIRequest(environ)
        return Answer(self.get_response(request))
