"""Public responses: what a cached document is sent as (200 or 304, gzip, ETag,
Cache-Control), the marks PublicResponseMiddleware reads, and the types of public views."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Concatenate, ParamSpec, Protocol, TypeAlias, cast

from django.conf import settings
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseNotModified,
)
from django.utils.http import http_date

from statuspage.public_cache.documents import Document, accepts_gzip, etag_matches, gzip_etag
from statuspage.public_cache.snapshots import _mark_stale, snapshot_load

log = logging.getLogger(__name__)


def cache_control(*, stale: bool = False) -> str:
    if stale:
        return "public, max-age=5, s-maxage=5, stale-if-error=86400"
    return (
        f"public, max-age={settings.PUBLIC_MAX_AGE}, s-maxage={settings.PUBLIC_MAX_AGE}, "
        f"stale-while-revalidate={settings.PUBLIC_STALE_WHILE_REVALIDATE}, "
        f"stale-if-error={settings.PUBLIC_STALE_IF_ERROR}"
    )


def _matches(request: HttpRequest, etag: str) -> bool:
    return etag_matches(request.headers.get("If-None-Match", ""), etag)


class PublicResponse(HttpResponse):
    """A response marked as a public document, for annotations only: no response is of this
    class. `mark_public` sets these attributes; PublicResponseMiddleware reads them."""

    public_document: bool
    # The document's cache key, on documents served through the cache (not on errors, nor on
    # stale snapshots): the middleware learns their final headers for the fast path.
    public_key: str


def mark_public(response: HttpResponse, *, key: str | None = None) -> PublicResponse:
    """Mark `response` as a public document: PublicResponseMiddleware takes its cookies and
    `Vary: Cookie` off, whatever ran inside. Every public answer is marked here."""
    # The one place a response becomes a PublicResponse: the attributes are set here.
    public = cast(PublicResponse, response)
    public.public_document = True
    if key is not None:
        public.public_key = key
    return public


def one_off(response: HttpResponse) -> HttpResponse:
    """Mark a view's answer as not worth keeping: @public_document still sends it with its
    ETag (so a conditional GET gets a 304), but stores it nowhere (no process or shared cache,
    no snapshot, no fast-path route). For documents keyed by free text (a history search):
    each spelling would otherwise be a new entry, and a stream of random ones would fill the
    disk and push the hot documents out of memory."""
    response.public_one_off = True  # type: ignore[attr-defined]
    return response


_P = ParamSpec("_P")


# A view serving a public document: the request, then the URL's arguments.
@dataclass(frozen=True)
class Variant:
    """One form of a document that has several at the same URL (the front page as HTML or as
    Markdown), as chosen from the request's headers by a view's negotiator."""

    name: str  # keys the document: each form is cached, snapshotted and replayed on its own
    vary: str  # the request headers the choice read, sent as `Vary`


# Chooses a document's form; its argument reads a request header by name (None when absent).
Negotiator: TypeAlias = Callable[[Callable[[str], str | None]], Variant]


PublicView: TypeAlias = Callable[Concatenate[HttpRequest, _P], HttpResponse]


class PublicDocumentView(Protocol[_P]):
    """What @public_document makes of a view: the same call, marked `public_document`."""

    public_document: bool

    def __call__(
        self, request: HttpRequest, /, *args: _P.args, **kwargs: _P.kwargs
    ) -> HttpResponse: ...


def _respond(
    request: HttpRequest,
    doc: Document,
    *,
    stale: bool,
    extra_headers: Mapping[str, str],
    key: str | None = None,
) -> PublicResponse:
    gz: bytes | None = None if stale else getattr(doc, "gzip_body", None)
    # The gzipped bytes, when the document has them and the client takes them.
    sent_gz = gz if accepts_gzip(request.headers.get("Accept-Encoding", "")) else None
    etag = gzip_etag(doc.etag) if sent_gz is not None else doc.etag
    if not stale and _matches(request, etag):
        # The document's own Content-Type: a browser updates its stored copy's headers from a
        # 304, and a default text/html (or none, as Chromium showed) turns a cached stylesheet
        # into something it refuses to apply.
        response: HttpResponse = HttpResponseNotModified()
        response["Content-Type"] = doc.content_type
    else:
        body = sent_gz if sent_gz is not None else _mark_stale(doc) if stale else doc.body
        response = HttpResponse(
            b"" if request.method == "HEAD" else body, content_type=doc.content_type
        )
        response["Content-Length"] = str(len(body))
        if sent_gz is not None:
            response["Content-Encoding"] = "gzip"
    if gz is not None:
        response["Vary"] = "Accept-Encoding"
    response["ETag"] = etag
    response["Cache-Control"] = cache_control(stale=stale)
    response["Last-Modified"] = http_date(doc.rendered_at)
    if stale:
        response["X-Statuspage-Stale"] = "1"
        response["Warning"] = '110 - "Response is Stale"'
    for name, value in extra_headers.items():
        if name.lower() == "vary" and response.has_header("Vary"):
            value = f"{response['Vary']}, {value}"  # keep Accept-Encoding
        response[name] = value
    return mark_public(response, key=key)


def _unavailable() -> HttpResponse:
    response = HttpResponse(
        "The status page is temporarily unavailable. Please retry in a minute.",
        status=503,
        content_type="text/plain; charset=utf-8",
    )
    response["Retry-After"] = "30"
    return response


def _serve_snapshot(request: HttpRequest, key: str, extra: Mapping[str, str]) -> HttpResponse:
    doc = snapshot_load(key)
    if doc is None:
        return mark_public(_unavailable())
    log.warning("database unreachable: serving stale snapshot of %s", key)
    return _respond(request, doc, stale=True, extra_headers=extra)
