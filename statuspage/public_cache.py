"""The read path for anonymous public documents (pages, JSON, feeds, widget, badges).

A public view is wrapped in @public_document. The wrapper:
- keys each rendered document on the page's *generation* (bumped in the same transaction as
  every public change, published to the cache on commit), so a change shows at the origin
  within a second while repeated reads render nothing, and on the page's local date, so
  "today" turns over at the page's midnight;
- answers If-None-Match with 304 from the cached ETag, without rendering;
- sets Cache-Control for shared caches and never lets a cookie or `Vary: Cookie` out
  (PublicResponseMiddleware enforces that after every other middleware has run);
- keeps the last good render of each document on disk, and serves it (marked stale) when the
  database cannot be reached, so the status page answers when its own infrastructure fails.
- serves a URL with several forms (the front page in HTML or Markdown) as one document per
  form, chosen by the view's negotiator from the request's headers, here and on the fast
  path alike, with the `Vary` the choice names.

Lookups go process memory -> shared cache -> render. The generation is memoised in process
memory for GENERATION_MEMO_SECONDS so a hot page costs no network round trip per request.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import hashlib
import json
import logging
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import time as dt_time
from pathlib import Path
from typing import Concatenate, ParamSpec, Protocol, TypeAlias, cast
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseNotModified,
)
from django.http.response import HttpResponseBase
from django.utils.http import http_date

from incidents import selectors
from incidents.models import Visibility
from incidents.selectors import scope
from statuspage import audience_documents, metrics
from statuspage.db_router import replica_reads
from statuspage.page_routing import page_of, page_visibility

log = logging.getLogger(__name__)

GENERATION_MEMO_SECONDS = 0.5
LOCAL_DOCUMENTS = 256
SHARED_CACHE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Document:
    body: bytes
    content_type: str
    etag: str
    rendered_at: float
    # Compressed once per generation, not per request: the front page is hundreds of KB of
    # very repetitive HTML (uptime bars), about 20 times smaller gzipped.
    gzip_body: bytes | None = None


GZIP_MIN_BYTES = 1024


def make_document(body: bytes, content_type: str) -> Document:
    gz = gzip.compress(body, compresslevel=6, mtime=0) if len(body) >= GZIP_MIN_BYTES else None
    if gz is not None and len(gz) >= len(body):
        gz = None
    return Document(body, content_type, _etag(body), time.time(), gz)


def gzip_etag(etag: str) -> str:
    # A strong ETag names one representation: the gzipped bytes get their own.
    return etag[:-1] + '-gz"'


def accepts_gzip(header: str) -> bool:
    for part in header.split(","):
        coding, _, params = part.partition(";")
        if coding.strip().lower() in ("gzip", "*"):
            name, _, value = params.strip().partition("=")
            if name.strip().lower() != "q":
                return True
            try:
                return float(value) > 0
            except ValueError:
                return False
    return False


class _LocalStore:
    """A small thread-safe LRU of documents in process memory."""

    def __init__(self, size: int):
        self.size = size
        self.items: OrderedDict[str, Document] = OrderedDict()
        self.lock = threading.Lock()
        # Per page (its id, or None for the default page, whichever it is):
        # (when read, page id, generation)
        self.generation: dict[int | None, tuple[float, int, int]] = {}
        # The page's zone and visibility, per generation: (generation, zone, visibility)
        self.zone: dict[int, tuple[int, ZoneInfo, str]] = {}
        # (generation, document version, wall-clock time of the page's next midnight)
        self.version: dict[int, tuple[int, str, float]] = {}

    def get(self, key: str) -> Document | None:
        with self.lock:
            doc = self.items.get(key)
            if doc is not None:
                self.items.move_to_end(key)
            return doc

    def put(self, key: str, doc: Document) -> None:
        with self.lock:
            self.items[key] = doc
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.items.clear()
            self.generation = {}
            self.zone = {}
            self.version = {}


local = _LocalStore(LOCAL_DOCUMENTS)


def current_generation(page: int | None = None) -> int:
    """The page's public generation (None: the default page's), memoised briefly in this
    process. Raises DatabaseError."""
    return page_generation(page)[1]


def page_generation(page: int | None = None) -> tuple[int, int]:
    """(page id, generation) of the page (None: the default page), memoised briefly in this
    process. Raises DatabaseError."""
    memo = local.generation.get(page)
    now = time.monotonic()
    if memo is not None and now - memo[0] < GENERATION_MEMO_SECONDS:
        return memo[1], memo[2]
    try:
        page_id, generation = selectors.page_generation(page)
    except DatabaseError:
        raise
    except Exception:  # noqa: BLE001 - the shared cache is down: ask the database directly
        from incidents.models import Page

        rows = Page.objects.order_by("id") if page is None else Page.objects.filter(pk=page)
        page_id, generation = rows.values_list("id", "generation")[:1].get()
    local.generation[page] = (now, page_id, generation)
    return page_id, generation


def document_version(page: int | None = None) -> str:
    """What a document's cache key is made of: the page, its generation and its local date
    (None: the default page). Two pages never share a key, whatever their generations.

    Pages show "today" (the last uptime bar, the past days, the current history month), so a
    document rendered before the page's midnight must not be served after it, even when
    nothing was written in between. The zone only changes with a write, which bumps the
    generation: it is looked up once per generation. The version itself is kept until the
    generation changes or the page's next midnight passes (one clock read per request rather
    than a date in the page's zone). Raises DatabaseError."""
    page_id, generation = page_generation(page)
    version = local.version.get(page_id)
    if version is not None and version[0] == generation and time.time() < version[2]:
        return version[1]
    memo = local.zone.get(page_id)
    if memo is None or memo[0] != generation:
        memo = local.zone[page_id] = (generation, *selectors.page_zone_and_visibility(page_id))
    today = datetime.now(memo[1]).date()
    midnight = datetime.combine(today + timedelta(days=1), dt_time(0), tzinfo=memo[1])
    # The generation leads (_render reads it back); the page ends it.
    text = f"{generation}.{today.isoformat()}.p{page_id}"
    local.version[page_id] = (generation, text, midnight.timestamp())
    return text


def audience_page(page: int | None) -> tuple[int, int] | None:
    """(page id, generation) when the page is audience-specific, else None. Read after
    document_version, from what it memoised: no query. When the memo moved on in between
    (another thread read a newer generation), the visibility is read again rather than
    guessed."""
    memo = local.generation.get(page)
    if memo is None:
        return None  # no version was read for this page here (a view tested on its own)
    _when, page_id, generation = memo
    zone = local.zone.get(page_id)
    if zone is None or zone[0] != generation:
        zone = local.zone[page_id] = (generation, *selectors.page_zone_and_visibility(page_id))
    if zone[2] != Visibility.AUDIENCE:
        return None
    return page_id, generation


def _was_audience(page: int | None) -> bool:
    """Whether this process last knew the page as audience-specific (the database being
    unreachable, nothing newer can be known)."""
    memo = local.generation.get(page)
    zone = None if memo is None else local.zone.get(memo[1])
    return zone is not None and zone[2] == Visibility.AUDIENCE


def cache_control(*, stale: bool = False) -> str:
    if stale:
        return "public, max-age=5, s-maxage=5, stale-if-error=86400"
    return (
        f"public, max-age={settings.PUBLIC_MAX_AGE}, s-maxage={settings.PUBLIC_MAX_AGE}, "
        f"stale-while-revalidate={settings.PUBLIC_STALE_WHILE_REVALIDATE}, "
        f"stale-if-error={settings.PUBLIC_STALE_IF_ERROR}"
    )


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def _matches(request: HttpRequest, etag: str) -> bool:
    return etag_matches(request.headers.get("If-None-Match", ""), etag)


# --- durable last-good snapshots ----------------------------------------------------------------


def _snapshot_path(key: str) -> Path:
    return Path(settings.PUBLIC_SNAPSHOT_DIR) / (hashlib.sha256(key.encode()).hexdigest() + ".json")


_written: dict[str, str] = {}
# How many times this process wrote each key's snapshot at once (a reader's render, not a
# publish's deferred one): a deferred snapshot is not written over one written after it.
_direct: dict[str, int] = {}
# Inside snapshots_deferred(): the snapshots to write later, each with its key's _direct count
# when it was noted.
_deferred: ContextVar[list[tuple[str, Document, int]] | None] = ContextVar(
    "deferred_snapshots", default=None
)


@contextlib.contextmanager
def snapshots_deferred() -> Iterator[list[tuple[str, Document, int]]]:
    """Within the block (a publish's renders), snapshot_save only notes what it would write,
    in the list this yields; `snapshots_write(list)` writes them when the caller chooses (a
    publish: once its documents are visible)."""
    pending: list[tuple[str, Document, int]] = []
    token = _deferred.set(pending)
    try:
        yield pending
    finally:
        _deferred.reset(token)


def snapshots_write(pending: list[tuple[str, Document, int]]) -> None:
    """Write the snapshots snapshots_deferred() noted, in order, but not over one a reader's
    render wrote since (a newer state)."""
    for key, doc, before in pending:
        if _direct.get(key, 0) == before and _written.get(key) != doc.etag:
            _snapshot_write(key, doc)


def snapshot_save(key: str, doc: Document) -> None:
    """Write the document if it changed since this process last wrote it (atomic rename)."""
    if _written.get(key) == doc.etag:
        return
    pending = _deferred.get()
    if pending is not None:
        pending.append((key, doc, _direct.get(key, 0)))
        return
    _direct[key] = _direct.get(key, 0) + 1
    _snapshot_write(key, doc)


def _snapshot_write(key: str, doc: Document) -> None:
    path = _snapshot_path(key)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
        payload = {
            "content_type": doc.content_type,
            "etag": doc.etag,
            "rendered_at": doc.rendered_at,
            "body": doc.body.decode("utf-8"),
        }
        tmp.write_text(json.dumps(payload), encoding="utf-8")
        os.replace(tmp, path)
        _written[key] = doc.etag
    except OSError as exc:
        log.warning("could not save public snapshot %s: %s", path, exc)


def snapshot_load(key: str) -> Document | None:
    try:
        payload = json.loads(_snapshot_path(key).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return Document(
        body=payload["body"].encode("utf-8"),
        content_type=payload["content_type"],
        etag=payload["etag"],
        rendered_at=payload["rendered_at"],
    )


_BODY_OPEN = re.compile(rb"<body[^>]*>", re.IGNORECASE)


def _mark_stale(doc: Document) -> bytes:
    """HTML gets a visible notice; other types say it in headers only (their shape is fixed)."""
    if not doc.content_type.startswith("text/html"):
        return doc.body
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(doc.rendered_at))
    notice = (
        '<div class="stale-notice" role="alert">Live status is temporarily unavailable. '
        f"Showing the last known status, as of {when}.</div>"
    ).encode()
    match = _BODY_OPEN.search(doc.body)
    if match is None:
        return notice + doc.body
    return doc.body[: match.end()] + notice + doc.body[match.end() :]


# --- public responses and views ----------------------------------------------------------------


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


# --- the decorator ------------------------------------------------------------------------------


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
                previous = _last_good.get(key)
                # A publish waits for the new version: the copy it replaces is what it must not
                # send to a target.
                rendering_only = request.META.get(metrics.RENDER_ONLY)
                if previous is not None and not rendering_only and _in_flight(key):
                    return _replaced_copy(request, previous, extra)
                with _single_flight(key):
                    # Whoever waited here usually finds the document rendered by the first.
                    doc = local.get(doc_key) or _shared_get(doc_key)
                    if doc is None:
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
                        if request.META.get(metrics.RENDER_ONLY):
                            # A publish renders every document once per generation: kept in
                            # the caches, each would push out what readers actually ask for.
                            return _respond(request, doc, stale=False, extra_headers=extra)
                        _shared_set(doc_key, doc)
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


def etag_matches(header: str, etag: str) -> bool:
    if not header:
        return False
    candidates = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return "*" in candidates or etag in candidates
