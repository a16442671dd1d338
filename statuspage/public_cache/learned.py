"""What the WSGI fast path (statuspage/public_fast_path.py) replays, learned as Django serves
public documents, and the outermost middleware that learns it."""

from __future__ import annotations

from collections.abc import Callable

from django.http import (
    HttpRequest,
)
from django.http.response import HttpResponseBase

from statuspage.public_cache.responses import Negotiator


class PublicResponseMiddleware:
    """Outermost middleware: public documents never carry cookies or `Vary: Cookie`, whatever
    ran inside (a session touched by a logged-in visitor, a CSRF token, messages)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        # Read with getattr: only responses passed to mark_public carry the attributes.
        if getattr(response, "public_document", False):
            response.cookies.clear()
            if response.has_header("Vary"):
                kept = [
                    v.strip() for v in response["Vary"].split(",") if v.strip().lower() != "cookie"
                ]
                if kept:
                    response["Vary"] = ", ".join(kept)
                else:
                    del response["Vary"]
            key = getattr(response, "public_key", None)
            if key is not None and response.status_code == 200:
                final_headers[key] = [
                    (name, value)
                    for name, value in response.items()
                    if name.lower() not in _PER_DOCUMENT_HEADERS
                ]
        return response


# --- what the WSGI fast path replays (statuspage/public_fast_path.py) ---------------------------

# Learned as the Django stack serves public documents: which paths are public documents (the
# query parameters that key them, and their URL pattern for the metrics), and the headers the
# middleware stack adds to them (security headers, extra headers such as CORS). The fast path
# replays exactly those.
routes: dict[str, tuple[tuple[str, ...], str, Negotiator | None]] = {}
final_headers: dict[str, list[tuple[str, str]]] = {}
_PER_DOCUMENT_HEADERS = {
    "content-length", "etag", "last-modified", "content-type", "content-encoding",
    "x-request-id",
}  # fmt: skip
