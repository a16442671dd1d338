"""Render every public document of the page through the app itself.

Each document is requested in-process, through Django's whole request handling (middleware,
views, the read path's decorator, WhiteNoise for static files), with the page's public host,
so the bytes and headers are the ones the origin serves. Which documents: a fixed list of
entry points, one per id for the documents every object has (permalinks, their JSON, badges),
the paged JSON listings while they continue, and every same-site link the HTML pages carry
(history pages, uptime calendars, static files, the brand stylesheet, uploaded images).

`publishable` is the one place that decides whether an answer may leave the origin.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from html import unescape
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import DatabaseError
from django.http.request import split_domain_port, validate_host
from django.http.response import HttpResponseBase

from incidents import languages, selectors
from incidents.selectors.shared import shared_reads
from statuspage.metrics import RENDER_ONLY
from statuspage.public_cache import GZIP_MIN_BYTES
from statuspage.publish.documents import INCIDENT_JSON, incident_json, incident_json_headers
from statuspage.publish.handler import Answer, Renderer
from statuspage.publish.layout import QUERY, LayoutError, object_key

log = logging.getLogger(__name__)

# The documents every page has, whatever it holds.
ENTRY_POINTS = (
    "/",
    "/history",
    "/uptime",
    "/history.atom",
    "/history.rss",
    "/maintenance.ics",
    "/brand.css",
    "/favicon.ico",
    "/api/v2/summary.json",
    "/api/v2/status.json",
    "/api/v2/components.json",
    "/api/v2/incidents.json",
    "/api/v2/incidents/unresolved.json",
    "/api/v2/scheduled-maintenances.json",
    "/api/v2/scheduled-maintenances/upcoming.json",
    "/api/v2/scheduled-maintenances/active.json",
    "/embed/script.js",
    "/embed/state.json",
    "/embed/frame",
    "/embed/status",
    "/embed/status?theme=auto",
    "/embed/status?theme=light",
    "/embed/status?theme=dark",
    "/embed/status?theme=transparent",
    "/badge.svg",
    "/badge.json",
)
# The JSON listings that take ?page=N, and the list in each: page N+1 is published while
# page N is not empty and N+1 is not either.
PAGED_JSON = {
    "/api/v2/incidents.json": "incidents",
    "/api/v2/incidents/unresolved.json": "incidents",
    "/api/v2/scheduled-maintenances.json": "scheduled_maintenances",
    "/api/v2/scheduled-maintenances/upcoming.json": "scheduled_maintenances",
    "/api/v2/scheduled-maintenances/active.json": "scheduled_maintenances",
}
# Links that lead to no public document (forms, the operators' side): not even asked for.
NEVER_FOLLOWED = (
    "/dashboard",
    "/admin",
    "/subscribe",
    "/manage/",
    "/unsubscribe/",
    "/hooks/",
    "/api/v1/",
    "/metrics",
    "/healthz",
    "/readyz",
)
# Far beyond any page (the history pages and listings are bounded by the app): a crawl past it
# means links that never end, which must stop the publish rather than fill the target.
MAX_DOCUMENTS = 50_000
_LINK = re.compile(rb"""(?:href|src)\s*=\s*["']([^"'#]+)""", re.IGNORECASE)


class PublishError(Exception):
    """The page could not be rendered whole: nothing is published (the job is retried)."""


@dataclass(frozen=True)
class Rendered:
    """One document as the origin serves it, and where it goes in a target."""

    path: str
    query: str
    key: str
    body: bytes
    content_type: str
    cache_control: str

    @cached_property
    def digest(self) -> str:
        """Changes when the bytes or the headers a target stores with them change."""
        h = hashlib.sha256()
        for part in (self.content_type.encode(), self.cache_control.encode(), self.body):
            h.update(len(part).to_bytes(8, "big"))
            h.update(part)
        return h.hexdigest()

    @property
    def gzip_body(self) -> bytes | None:
        """The precompressed copy: the bytes the origin itself sends to gzip readers (same
        level, no timestamp), when compression pays. Made once, on first use, by whichever
        writer thread asks (not a cached_property: on Python 3.11 that holds one lock for
        every instance, which would compress the documents one at a time)."""
        try:
            return self.__dict__["_gzip_body"]
        except KeyError:
            pass
        gz: bytes | None = None
        if len(self.body) >= GZIP_MIN_BYTES and _compressible(self.content_type):
            gz = gzip.compress(self.body, compresslevel=6, mtime=0)
            gz = gz if len(gz) < len(self.body) else None
        self.__dict__["_gzip_body"] = gz
        return gz

    @property
    def url_path(self) -> str:
        return f"{self.path}?{self.query}" if self.query else self.path


def _compressible(content_type: str) -> bool:
    kind = content_type.split(";")[0].strip().lower()
    return kind.startswith("text/") or kind in (
        "application/json",
        "application/javascript",
        "application/atom+xml",
        "application/rss+xml",
        "image/svg+xml",
        "image/x-icon",
        "image/vnd.microsoft.icon",
    )


def publishable(response: HttpResponseBase, path: str) -> bool:
    """Whether an answer may be published: the one place that decides.

    Only a 200 that the read path marked as a public document (or a static file), shared-cache
    public, with no cookie, no `Vary: Cookie` and not a one-off (free-text search) answer. A
    page that is not public (private pages, audiences) answers otherwise and so is never
    published, whatever links to it."""
    if response.status_code != 200 or response.cookies:
        return False
    if "cookie" in response.get("Vary", "").lower():
        return False
    directives = {
        part.strip().split("=")[0].lower() for part in response.get("Cache-Control", "").split(",")
    }
    if "public" not in directives or {"private", "no-store", "no-cache"} & directives:
        return False
    if getattr(response, "public_one_off", False):
        return False
    return bool(getattr(response, "public_document", False)) or path.startswith(settings.STATIC_URL)


@dataclass(frozen=True)
class Plan:
    """An incremental render: the previous publish's documents (key -> the origin's path and
    query; key -> the keys each one led to) and which of them to render again. A document it
    does not name is kept as published; a document the renders lead to that it did not have
    is rendered."""

    paths: dict[str, str]
    links: dict[str, list[str]]
    touched: Callable[[str, str], bool]


@dataclass
class Site:
    """The page's documents after a render: those rendered now, those kept from the previous
    publish (a Plan), and for each one the documents it leads to (links, the next page of a
    listing, a redirect's target), by key."""

    rendered: dict[str, Rendered] = field(default_factory=dict)
    kept: set[str] = field(default_factory=set)
    links: dict[str, list[str]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.rendered) + len(self.kept)


@dataclass
class _Crawl:
    renderer: Renderer
    origin: str
    on_progress: Callable[[int, int], None] | None
    plan: Plan | None = None
    # The page's path prefix at the origin ("/p/<slug>"), "" for a page served at the root.
    # Paths inside the crawl (keys, plans, links, scope rules) are the page's own, without it.
    prefix: str = ""
    # Render every incident's JSON at once (documents.py): for the default page at the root,
    # the one place its bytes are proven identical to the origin's.
    bulk: bool = True
    queue: list[tuple[str, str]] = field(default_factory=list)
    seen: set[tuple[str, str]] = field(default_factory=set)
    found: dict[str, Rendered] = field(default_factory=dict)
    kept: set[str] = field(default_factory=set)
    # What the plan said of each (path, query) (touched: render it): a publish meets most
    # documents' links from hundreds of pages, and asks the plan once.
    verdicts: dict[tuple[str, str], bool] = field(default_factory=dict)
    links: dict[str, set[str]] = field(default_factory=dict)
    roots: set[str] = field(default_factory=set)

    def add(self, path: str, query: str = "", *, by: str | None = None) -> None:
        """Render `path?query` (once), reached from the document `by` (None: an entry)."""
        try:
            key = object_key(path, query)
        except LayoutError:
            key = None
        if key is not None:
            if by is None:
                self.roots.add(key)
            else:
                self.links.setdefault(by, set()).add(key)
            plan = self.plan
            if plan is not None and key in plan.paths:
                verdict = self.verdicts.get((path, query))
                if verdict is None:
                    verdict = self.verdicts[path, query] = plan.touched(path, query)
                elif not verdict:
                    # Kept already (and what it leads to followed): nothing more to do.
                    return
                if not verdict:
                    self.keep(key, plan)
                    return
        if len(self.seen) >= MAX_DOCUMENTS:
            raise PublishError(f"more than {MAX_DOCUMENTS} documents: links that never end?")
        if (path, query) not in self.seen:
            self.seen.add((path, query))
            self.queue.append((path, query))

    def keep(self, key: str, plan: Plan) -> None:
        """Keep a document as published, and follow what it led to: those are kept too,
        or rendered if the change touched them."""
        if key in self.kept:
            return
        self.kept.add(key)
        for target in plan.links.get(key, ()):
            if target in plan.paths:
                path, _, query = plan.paths[target].partition("?")
                self.add(path, query, by=key)

    def get(self, path: str, query: str) -> Answer:
        # Every document is asked for as by a first-time reader: no cookie, nothing carried
        # over from the one before.
        answer = self.renderer.get(self.prefix + path, query)
        if answer.status_code >= 500:
            raise PublishError(f"{path}?{query} answered {answer.status_code}")
        if answer.has_header("X-Statuspage-Stale"):
            raise PublishError("the database is unreachable: the app serves stale copies")
        return answer

    def render_in_bulk(self) -> None:
        """Render every incident's JSON waiting in the queue at once (documents.py), rather
        than one request each: the same bytes and headers, a fraction of the cost. An id the
        bulk render does not know stays queued and is asked for as usual (a 404)."""
        waiting = {}
        if not self.bulk:
            return
        for path, query in self.queue:
            match = INCIDENT_JSON.fullmatch(path)
            if match is not None and not query:
                waiting[match[1]] = path
        if not waiting:
            return
        try:
            bodies = incident_json(waiting.keys())
        except DatabaseError as exc:
            raise PublishError(f"the database is unreachable: {exc}") from exc
        content_type, cache_control = incident_json_headers()
        for public_id, body in bodies.items():
            path = waiting[public_id]
            key = object_key(path)
            self.found[key] = Rendered(path, "", key, body, content_type, cache_control)
        done = {(waiting[i], "") for i in bodies}
        self.queue = [entry for entry in self.queue if entry not in done]

    def run(self) -> Site:
        self.render_in_bulk()
        done = len(self.seen) - len(self.queue)  # the front page, asked for before
        while self.queue:
            path, query = self.queue.pop(0)
            self.visit(path, query)
            done += 1
            if self.on_progress is not None:
                self.on_progress(done, done + len(self.queue))
        return self.reachable()

    def reachable(self) -> Site:
        """What the entries lead to, through the new links of what was rendered and the
        previous links of what was kept: a document no longer linked from anywhere (a history
        page that emptied) is dropped, as a crawl from scratch would not find it."""
        previous = self.plan.links if self.plan is not None else {}
        links = {k: sorted(v) for k, v in self.links.items() if k in self.found}
        for key in self.kept - self.found.keys():
            links[key] = previous.get(key, [])
        present = self.found.keys() | self.kept
        reached: set[str] = set()
        stack = [k for k in self.roots if k in present]
        while stack:
            key = stack.pop()
            if key in reached:
                continue
            reached.add(key)
            stack.extend(k for k in links.get(key, ()) if k in present and k not in reached)
        return Site(
            rendered={k: d for k, d in self.found.items() if k in reached},
            kept={k for k in self.kept if k in reached and k not in self.found},
            links={k: [t for t in v if t in reached] for k, v in links.items() if k in reached},
        )

    def visit(self, path: str, query: str, answer: Answer | None = None) -> None:
        answer = answer or self.get(path, query)
        served = path
        cache_control = answer.get("Cache-Control", "")
        try:
            key: str | None = object_key(path, query)
        except LayoutError:
            key = None
        if answer.status_code in (301, 308):
            # A permanent redirect to a published document (/favicon.ico): the target's bytes
            # under the asked-for name, as a static host cannot redirect by itself. Cached as
            # the redirect is: the target may be a content-hashed file, cached for good under
            # its own name, never under this one.
            target = self.local(answer["Location"], path)
            if target is None:
                return
            answer = self.get(*target)
            self.add(*target, by=key)
            served = target[0]
        if not publishable(answer.response, served):
            return
        if key is None:
            log.info("not published (no place in a target): %s?%s", path, query)
            return
        body = answer.body
        self.found[key] = Rendered(
            path=path,
            query=query,
            key=key,
            body=body,
            content_type=answer["Content-Type"],
            cache_control=cache_control,
        )
        kind = answer["Content-Type"].split(";")[0].strip()
        if kind == "text/html":
            for link in _LINK.findall(body):
                target = self.local(unescape(link.decode("utf-8", "replace")).strip(), path)
                if target is not None:
                    self.add(*target, by=key)
        if path in PAGED_JSON and kind == "application/json":
            self.next_page(path, query, body, key)

    def next_page(self, path: str, query: str, body: bytes, key: str) -> None:
        items = json.loads(body).get(PAGED_JSON[path]) or []
        if not items:
            return
        number = int(query.removeprefix("page=")) if query.startswith("page=") else 1
        following = f"page={number + 1}"
        probe = self.get(path, following)
        if probe.status_code == 200 and json.loads(probe.body).get(PAGED_JSON[path]):
            self.add(path, following, by=key)

    def local(self, link: str, base: str) -> tuple[str, str] | None:
        """The (path, query) a link leads to on this site, or None (elsewhere, not a
        document)."""
        if link.startswith("?"):
            link = self.prefix + base + link
        elif link.startswith(self.origin + "/"):
            link = link[len(self.origin) :]
        if not link.startswith("/") or link.startswith("//"):
            return None
        if self.prefix:
            # Under a page prefix only the page's own documents: what lies outside it (the
            # static files, another page) is not this page's to publish.
            if not link.startswith(self.prefix + "/"):
                return None
            link = link[len(self.prefix) :]
        path, _, query = link.partition("?")
        if _unprefixed(path).startswith(NEVER_FOLLOWED) or (query and not QUERY.fullmatch(query)):
            return None
        return path, query


def _unprefixed(path: str) -> str:
    """The path without a language prefix: /de/subscribe is the subscribe form (in German),
    no more a document than /subscribe."""
    head, slash, rest = path[1:].partition("/")
    return "/" + rest if slash and head in languages.CODES else path


def _ids(page: int | None) -> Iterator[str]:
    ids = selectors.public_ids(page)
    for public_id in [*ids.incidents, *ids.maintenance]:
        yield f"/api/v2/incidents/{public_id}.json"
    for public_id in ids.incidents:
        yield f"/incidents/{public_id}"
    for public_id in ids.maintenance:
        yield f"/maintenance/{public_id}"
    for public_id in [*ids.components, *ids.groups]:
        yield f"/badge/{public_id}.svg"
    for notice in [*selectors.incidents_unresolved(page), *selectors.maintenance_active(page)]:
        yield f"/embed/frame?id={notice.public_id}"


def render_site(
    *,
    public_url: str,
    on_progress: Callable[[int, int], None] | None = None,
    plan: Plan | None = None,
    page: int | None = None,
) -> Site:
    """Every public document of the page (`page`, an id; None: the default page) as read at
    `public_url`, by key: all rendered, or with a `plan` only those it touches and those that
    are new (the rest kept as published). A `public_url` with a path (`https://host/p/shop`)
    renders the page under that prefix, keyed without it (`history/index.html`), its links
    carrying it as the origin's do. An empty result means the
    page is not public (its front page is not a public document): nothing of it may be
    published. Raises PublishError when the page cannot be rendered whole (a 5xx, the
    database down)."""
    parts = urlsplit(public_url)
    domain, _port = split_domain_port(parts.netloc)
    allowed = settings.ALLOWED_HOSTS or (
        ["localhost", "127.0.0.1", "[::1]"] if settings.DEBUG else []
    )
    if not validate_host(domain, allowed):
        raise PublishError(
            f"the page's host {parts.netloc!r} (from its public URL) is not in ALLOWED_HOSTS"
        )
    extra: dict[str, Any] = {RENDER_ONLY: "1"}
    renderer = Renderer(host=parts.netloc, secure=parts.scheme == "https", extra=extra)
    origin = f"{parts.scheme}://{parts.netloc}"
    prefix = parts.path.rstrip("/")
    crawl = _Crawl(renderer, origin, on_progress, plan, prefix, bulk=page is None and not prefix)
    # The documents of one publish read the page, its tree and its status once, not once per
    # document and language (incidents/selectors/shared.py); only for this crawl.
    with shared_reads():
        return _crawl_site(crawl, page)


def _crawl_site(crawl: _Crawl, page: int | None) -> Site:
    front = crawl.get("/", "")
    if front.status_code != 200:
        # A redirect (HTTPS, a host), a 404: something is wrong with how the page is reached,
        # not a page gone private. Publishing nothing must not withdraw what is published.
        raise PublishError(f"the front page answered {front.status_code}, not 200")
    crawl.seen.add(("/", ""))
    crawl.roots.add("index.html")
    crawl.visit("/", "", front)
    if "index.html" not in crawl.found:
        return Site()
    for entry in ENTRY_POINTS[1:]:
        crawl.add(*entry.partition("?")[::2])
    for entry in _ids(page):
        crawl.add(*entry.partition("?")[::2])
    return crawl.run()
