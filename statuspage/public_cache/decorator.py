"""@public_document: a view's 200 responses served through the generation-keyed cache
(process memory -> shared cache -> render), one render per document at a time, the replaced
copy while a render is in flight, the snapshot when the database is down."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import cast

from django.core.cache import cache
from django.db import DatabaseError
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
)

from incidents.models import Visibility
from incidents.selectors import scope
from statuspage import audience_documents, metrics
from statuspage.db_router import replica_reads
from statuspage.page_routing import page_of, page_visibility
from statuspage.public_cache.documents import Document, make_document
from statuspage.public_cache.learned import routes
from statuspage.public_cache.responses import (
    _P,
    Negotiator,
    PublicDocumentView,
    PublicView,
    Variant,
    _respond,
    _serve_snapshot,
    _unavailable,
)
from statuspage.public_cache.snapshots import _snapshot_path, _written, snapshot_save
from statuspage.public_cache.store import (
    LOCAL_DOCUMENTS,
    _was_audience,
    audience_page,
    document_version,
    local,
)

SHARED_CACHE_SECONDS = 24 * 3600


def public_document(
    *,
    query_params: tuple[str, ...] = (),
    headers: Mapping[str, str] | None = None,
    negotiate: Negotiator | None = None,
    refresh_seconds: Callable[[dict[str, object]], int] | None = None,
) -> Callable[[PublicView[_P]], PublicDocumentView[_P]]:
    """Serve a view's 200 responses through the generation-keyed cache.

    `query_params` names the parameters that change the document (e.g. "page"); all others are
    ignored, so `?x=random` cannot bypass the cache. `headers` are added to every response
    (e.g. CORS). Non-200 answers (404s) pass through uncached. `negotiate`, for a URL with
    several forms, picks the request's form from its headers: each form is its own document,
    and its answers carry the `Vary` the choice names (the view picks its form with the same
    function). `refresh_seconds`, for a document that moves with time rather than with writes
    (the system-metrics charts), gives the step (from the URL's arguments) at which it is
    rendered again: its cache key also holds the step's number. The fast path, which keys on
    the generation alone, never finds such a document and leaves it to this wrapper.
    """
    base_extra = dict(headers or {})

    def decorator(view: PublicView[_P]) -> PublicDocumentView[_P]:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: _P.args, **kwargs: _P.kwargs) -> HttpResponse:
            if request.method not in ("GET", "HEAD"):
                return HttpResponseNotAllowed(["GET", "HEAD"])
            visibility = page_visibility(request)
            if visibility == Visibility.PRIVATE:
                # A page for signed-in readers only (statuspage/readers): rendered per request,
                # never cached, snapshotted or learned for the fast path; the reader gate
                # marks the answer private.
                return view(request, *args, **kwargs)
            # The page is the request's (statuspage/page_routing.py): resolved before this.
            page = page_of(request)
            key = document_key(request.path, query_params, request.GET.get, page=page)
            extra, headers_key = base_extra, key
            if negotiate is not None:
                variant = negotiate(request.headers.get)
                key, headers_key = variant_keys(key, variant)
                extra = {**base_extra, "Vary": variant.vary}
            try:
                version = document_version(page)
            except DatabaseError:
                if visibility != Visibility.PUBLIC or _was_audience(page):
                    # Its public snapshots (from before it became one) are no one's to read.
                    return audience_documents.private(_unavailable())
                return _serve_snapshot(request, key, extra)
            if refresh_seconds is not None:
                version = f"{version}.t{int(time.time()) // refresh_seconds(dict(kwargs))}"
            audience = audience_page(page)
            if audience is not None:
                return _audience_document(
                    request, audience, version, key, extra, view, *args, **kwargs
                )
            if visibility != Visibility.PUBLIC:
                # The routes say "audience", the database no longer does (the page changed
                # a moment ago): nothing shared until both agree; the gate has let this
                # reader in.
                return view(request, *args, **kwargs)
            doc_key = f"public:doc:{version}:{key}"
            doc = local.get(doc_key) or _shared_get(doc_key)
            if doc is None:
                found = _render_once(
                    request, version, page, key, doc_key, extra, view, *args, **kwargs
                )
                if isinstance(found, HttpResponse):
                    return found
                doc = found
            local.put(doc_key, doc)
            _remember_last_good(key, doc)
            # Registered only for documents that exist, so probing unknown ids grows nothing.
            routes[request.path] = (query_params, metrics.route_label(request), negotiate)
            return _respond(request, doc, stale=False, extra_headers=extra, key=headers_key)

        # The one place a view becomes a PublicDocumentView: the marker is set here.
        marked = cast(PublicDocumentView[_P], wrapper)
        marked.public_document = True
        return marked

    return decorator


def _audience_document(
    request: HttpRequest,
    page_generation: tuple[int, int],
    version: str,
    key: str,
    extra: Mapping[str, str],
    view: PublicView[_P],
    *args: _P.args,
    **kwargs: _P.kwargs,
) -> HttpResponse:
    """A document of an audience-specific page (statuspage/audience_documents.py): one
    render per (page, audience, generation), in its own key space, whoever the reader; never a
    snapshot, a fast-path route or a shared-cache-visible response."""
    page_id, generation = page_generation
    audience = audience_documents.audience_of(request, page_id, generation)
    if audience is None:
        return audience_documents.no_access(request, page_id)
    doc_key = f"audience:doc:{version}:a{audience.id}:{key}"
    doc = local.get(doc_key) or _shared_get(doc_key)
    if doc is None:
        with scope.components_only(audience.component_ids, audience.component_public_ids):
            response = _render(version, page_id, view, request, *args, **kwargs)
        if response.status_code != 200:
            return audience_documents.private(response)
        doc = make_document(response.content, response["Content-Type"])
        if not getattr(response, "public_one_off", False):
            local.put(doc_key, doc)
            _shared_set(doc_key, doc)
        # A snapshot of this address from when the page was public must not outlive it.
        with contextlib.suppress(OSError):
            _snapshot_path(key).unlink(missing_ok=True)
        _written.pop(key, None)
    if audience_documents.READER_BAR in doc.body:
        # The render is the audience's; who is signed in (and their sign-out form's token)
        # is this reader's own, put in for this answer only.
        body = doc.body.replace(
            audience_documents.READER_BAR, audience_documents.reader_bar(request)
        )
        doc = make_document(body, doc.content_type)
    answer = _respond(request, doc, stale=False, extra_headers=extra)
    # Not a public document: the middleware leaves its headers alone (Vary: Cookie stays).
    answer.public_document = False
    return audience_documents.private(answer)


def document_key(
    path: str,
    query_params: tuple[str, ...],
    get: Callable[[str, str], str],
    *,
    page: int | None,
) -> str:
    """A document's key without its version: the page (its id; None: the request named none
    the routes know), the path and the query parameters that change it (`get` reads one from
    the request's query, with a default). Two pages' hosts serve the same paths: the page
    keeps their snapshots and learned headers apart, as it keeps their versions."""
    params = "&".join(f"{p}={get(p, '')}" for p in query_params)
    return f"p{'-' if page is None else page}:{path}?{params}"


def rendered_elsewhere(key: str, body: bytes, content_type: str) -> None:
    """A document rendered outside its view, by the same code and with the same bytes (the
    publisher's bulk render of every incident's JSON): its last-good snapshot is refreshed as
    a render through the view would, and nothing else (a publish fills no cache)."""
    snapshot_save(key, make_document(body, content_type))


def _render_once(
    request: HttpRequest,
    version: str,
    page: int | None,
    key: str,
    doc_key: str,
    extra: Mapping[str, str],
    view: PublicView[_P],
    *args: _P.args,
    **kwargs: _P.kwargs,
) -> Document | HttpResponse:
    """A document missing from the caches: rendered by one request at a time per key, and kept
    (snapshot, shared cache) for the next. An answer the reader gets as it is (a 404, a last
    good copy while the database is down, a one-off, a publish's render) comes back as a
    response; a kept document as itself."""
    previous = _last_good.get(key)
    # A publish waits for the new version: the copy it replaces is what it must not send to a
    # target.
    rendering_only = request.META.get(metrics.RENDER_ONLY)
    if previous is not None and not rendering_only and _in_flight(key):
        return _replaced_copy(request, previous, extra)
    with _single_flight(key):
        # Whoever waited here usually finds the document rendered by the first.
        doc = local.get(doc_key) or _shared_get(doc_key)
        if doc is not None:
            return doc
        try:
            response = _render(version, page, view, request, *args, **kwargs)
        except DatabaseError:
            return _serve_snapshot(request, key, extra)
        if response.status_code != 200:
            return response
        doc = make_document(response.content, response["Content-Type"])
        if getattr(response, "public_one_off", False):
            return _respond(request, doc, stale=False, extra_headers=extra)
        snapshot_save(key, doc)
        if rendering_only:
            # A publish renders every document once per generation: kept in the caches, each
            # would push out what readers actually ask for.
            return _respond(request, doc, stale=False, extra_headers=extra)
        _shared_set(doc_key, doc)
        return doc


def _render(
    version: str,
    page: int | None,
    view: PublicView[_P],
    request: HttpRequest,
    *args: _P.args,
    **kwargs: _P.kwargs,
) -> HttpResponse:
    """Render a document to be cached as `version` (see document_version). Its reads go to the
    read replica (when one is configured) only if the replica has replayed the version's
    generation: a lagging replica's render, cached as the newer generation, would show the
    older state until the next change (statuspage/db_router.py). Raises DatabaseError."""
    generation = int(version.partition(".")[0])
    with replica_reads(generation, page):
        return view(request, *args, **kwargs)


def variant_keys(key: str, variant: Variant) -> tuple[str, str]:
    """The document key of a form of `key`, and the key of its final headers: two requests
    for the same form may differ in what the choice read (Vary), never in the bytes."""
    document = f"{key}#{variant.name}"
    return document, f"{document}|{variant.vary}"


_flights: dict[str, threading.Lock] = {}
_flights_guard = threading.Lock()
SINGLE_FLIGHT_WAIT_SECONDS = 10


@contextlib.contextmanager
def _single_flight(key: str) -> Iterator[None]:
    """One render per document at a time in this process. After a write, a spike of readers
    of the same page would otherwise all render it at once (each thread, each worker)."""
    with _flights_guard:
        lock = _flights.get(key)
        if lock is None:
            if len(_flights) > LOCAL_DOCUMENTS * 4:
                _flights.clear()  # bounded; the cost is at worst one duplicate render
            lock = _flights[key] = threading.Lock()
    # A stuck render must not stall every reader: after the wait, render anyway.
    acquired = lock.acquire(timeout=SINGLE_FLIGHT_WAIT_SECONDS)
    try:
        yield
    finally:
        if acquired:
            lock.release()


# Document key without its version -> the last version of it this process served: what a
# reader gets while another thread renders the next version (see _replaced_copy).
_last_good: dict[str, Document] = {}
# Shared caches must not keep the copy a render is replacing: the next request gets the new one.
REPLACED_CACHE_CONTROL = "public, max-age=0, s-maxage=0"


def _remember_last_good(key: str, doc: Document) -> None:
    if _last_good.get(key) is not doc:
        if len(_last_good) > LOCAL_DOCUMENTS * 4:
            _last_good.clear()  # bounded; the cost is at worst one reader waiting for a render
        _last_good[key] = doc


def _in_flight(key: str) -> bool:
    lock = _flights.get(key)
    return lock is not None and lock.locked()


def _replaced_copy(request: HttpRequest, doc: Document, extra: Mapping[str, str]) -> HttpResponse:
    """After a change every reader of a document misses at once, and all but one would wait
    for that one's render (the single flight): 50-300 ms in which the process answers nothing
    else of that document (docs/performance.md, "The cached read path against nginx"). They
    get the version the render replaces instead, as it was a moment before the change, not
    to be kept by shared caches. Only while a render is in flight: otherwise a reader
    renders, as always."""
    response = _respond(request, doc, stale=False, extra_headers=extra)
    response["Cache-Control"] = REPLACED_CACHE_CONTROL
    return response


def _shared_key(key: str) -> str:
    # Document keys hold the request's query values as sent (any length, any character):
    # the shared cache gets a fixed-length digest of them instead.
    # Each key space ("public", "audience") keeps its own prefix.
    space = key.partition(":")[0]
    return f"{space}:doc:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def _shared_get(key: str) -> Document | None:
    try:
        return cache.get(_shared_key(key))
    except Exception:  # noqa: BLE001 - a cache outage degrades to rendering, never to an error
        return None


def _shared_set(key: str, doc: Document) -> None:
    with contextlib.suppress(Exception):
        cache.set(_shared_key(key), doc, SHARED_CACHE_SECONDS)
