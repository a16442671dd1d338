"""The WSGI fast path: repeated reads of a public document answered before Django runs.

statuspage/wsgi.py wraps the application in `fast_path`. What it may answer, and with which
headers, is learned as Django serves public documents (statuspage/public_cache/: the routes
registered by @public_document, the final headers recorded by PublicResponseMiddleware); the
documents themselves are the ones in that module's process memory.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass
from urllib.parse import parse_qs

from django.utils.http import http_date

from statuspage import metrics
from statuspage.logs import request_id_for
from statuspage.page_routing import raw_host, resolve
from statuspage.public_cache import (
    LOCAL_DOCUMENTS,
    Document,
    accepts_gzip,
    document_version,
    etag_matches,
    final_headers,
    gzip_etag,
    local,
    routes,
    variant_keys,
)


@dataclass(frozen=True)
class _Variant:
    """One representation of a cached document as the fast path sends it: headers built once,
    not per request (only the request id is added per request)."""

    etag: str
    ok: list[tuple[str, str]]  # the 200's headers
    not_modified: list[tuple[str, str]]  # the 304's
    body: bytes


@dataclass(frozen=True)
class _Prepared:
    document: Document
    headers: list[tuple[str, str]]  # the learned headers it was built from
    plain: _Variant
    gzip: _Variant | None  # for clients that take gzip, when the document has gzipped bytes


def _variant(
    doc: Document, headers: list[tuple[str, str]], etag: str, body: bytes, *, gzipped: bool
) -> _Variant:
    common = [*headers, ("Last-Modified", http_date(doc.rendered_at)), ("ETag", etag),
              ("Content-Type", doc.content_type)]  # fmt: skip
    ok = [*common, ("Content-Length", str(len(body)))]
    if gzipped:
        ok.append(("Content-Encoding", "gzip"))
    # The 304 keeps its Content-Type, as on Django's path (see _respond).
    return _Variant(etag, ok, common, body)


def _prepare(doc: Document, headers: list[tuple[str, str]]) -> _Prepared:
    gz = getattr(doc, "gzip_body", None)
    packed = None if gz is None else _variant(doc, headers, gzip_etag(doc.etag), gz, gzipped=True)
    return _Prepared(
        doc, headers, _variant(doc, headers, doc.etag, doc.body, gzipped=False), packed
    )


# Document key -> its prepared answers; bounded like the documents themselves.
_prepared: dict[str, _Prepared] = {}


def _prepared_for(doc_key: str, doc: Document, headers: list[tuple[str, str]]) -> _Prepared:
    prepared = _prepared.get(doc_key)
    if prepared is None or prepared.document is not doc or prepared.headers is not headers:
        if len(_prepared) >= LOCAL_DOCUMENTS * 2:
            _prepared.clear()
        prepared = _prepared[doc_key] = _prepare(doc, headers)
    return prepared


def fast_path(app):
    """Wrap the WSGI application: a GET/HEAD for a public document already rendered for the
    current generation in this process is answered here, bytes and headers identical to what
    Django would send, without building a request or running the middleware stack. What the
    middleware would add per request is added here too: the request id (X-Request-ID, the
    caller's when sane) and the request metrics (statuspage/metrics.py, counted in its
    tally).

    Anything else (first request for a document, other paths, the database down, a new
    generation) goes to Django unchanged. The page is resolved here as PageRoutingMiddleware
    resolves it (statuspage/page_routing.py: the same function, from the same Host header and
    path); a host the install does not answer for, or an unknown `/p/<slug>/`, goes to Django
    (400, 404)."""

    def application(environ, start_response):
        started = time.perf_counter()
        method = environ.get("REQUEST_METHOD")
        if method not in ("GET", "HEAD"):
            return app(environ, start_response)
        path = _wsgi_path(environ)
        route = routes.get(path)
        if route is None:
            return app(environ, start_response)
        params, label, negotiate = route
        try:
            # The page, as PageRoutingMiddleware resolves it from the same headers and path.
            resolution = resolve(raw_host(environ), _path_info(environ))
            page = resolution.route
            if page is None or resolution.outcome != "ok" or not page.public:
                # Django answers (400, 404, redirect), and every request of a page for
                # signed-in readers goes through its reader gate (statuspage/readers).
                return app(environ, start_response)
            version = document_version(page.id)
        except Exception:  # noqa: BLE001 - let Django answer (snapshot, 503) as usual
            return app(environ, start_response)
        query = _key_params(environ, params) if params else ""
        key = headers_key = f"p{page.id}:{path}?{query}"
        if negotiate is not None:
            key, headers_key = variant_keys(key, negotiate(functools.partial(_header, environ)))
        headers = final_headers.get(headers_key)
        doc_key = f"public:doc:{version}:{key}"
        doc = local.get(doc_key)
        if doc is None or headers is None:
            return app(environ, start_response)
        prepared = _prepared_for(doc_key, doc, headers)
        request_id = ("X-Request-ID", request_id_for(environ.get("HTTP_X_REQUEST_ID", "")))
        # The gzipped bytes, when the document has them and the client takes them.
        variant = prepared.plain
        if prepared.gzip is not None and accepts_gzip(environ.get("HTTP_ACCEPT_ENCODING", "")):
            variant = prepared.gzip
        if_none_match = environ.get("HTTP_IF_NONE_MATCH")
        if if_none_match and etag_matches(if_none_match, variant.etag):
            start_response("304 Not Modified", [*variant.not_modified, request_id])
            metrics.count_fast(label, method, "304", time.perf_counter() - started)
            return [b""]
        start_response("200 OK", [*variant.ok, request_id])
        metrics.count_fast(label, method, "200", time.perf_counter() - started)
        return [b"" if method == "HEAD" else variant.body]

    return application


def _wsgi_path(environ) -> str:
    # As Django builds request.path: SCRIPT_NAME + PATH_INFO, PATH_INFO being latin-1 bytes.
    raw = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    if raw.isascii():
        return raw  # the same in both encodings
    try:
        return raw.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return raw


def _path_info(environ) -> str:
    # As Django builds request.path_info: PATH_INFO, latin-1 bytes read as UTF-8.
    raw = environ.get("PATH_INFO", "") or "/"
    if raw.isascii():
        return raw
    try:
        return raw.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return raw


def _header(environ, name: str) -> str | None:
    """A request header from the WSGI environ, as Django's request.headers.get reads it."""
    key = _ENVIRON_KEYS.get(name)
    if key is None:
        key = "HTTP_" + name.upper().replace("-", "_")
        if len(_ENVIRON_KEYS) < 64:  # the negotiators' few names; bounded all the same
            _ENVIRON_KEYS[name] = key
    return environ.get(key)


# Header name -> its environ key: the negotiators read the same few names on every answer.
_ENVIRON_KEYS: dict[str, str] = {}


def _key_params(environ, params: tuple[str, ...]) -> str:
    # Django's QueryDict.get returns the last value of a repeated parameter: do the same.
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    return "&".join(f"{p}={query.get(p, [''])[-1]}" for p in params)
