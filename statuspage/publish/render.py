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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from html import unescape
from typing import Any, cast
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpResponse, StreamingHttpResponse
from django.http.request import split_domain_port, validate_host
from django.http.response import HttpResponseBase
from django.test import Client

from incidents import selectors
from statuspage.metrics import RENDER_ONLY
from statuspage.public_cache import GZIP_MIN_BYTES
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

    @cached_property
    def gzip_body(self) -> bytes | None:
        """The precompressed copy: the bytes the origin itself sends to gzip readers (same
        level, no timestamp), when compression pays."""
        if len(self.body) < GZIP_MIN_BYTES or not _compressible(self.content_type):
            return None
        gz = gzip.compress(self.body, compresslevel=6, mtime=0)
        return gz if len(gz) < len(self.body) else None

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


@dataclass
class _Crawl:
    client: Client
    secure: bool
    origin: str
    on_progress: Callable[[int, int], None] | None
    queue: list[tuple[str, str]] = field(default_factory=list)
    seen: set[tuple[str, str]] = field(default_factory=set)
    found: dict[str, Rendered] = field(default_factory=dict)

    def add(self, path: str, query: str = "") -> None:
        if len(self.seen) >= MAX_DOCUMENTS:
            raise PublishError(f"more than {MAX_DOCUMENTS} documents: links that never end?")
        if (path, query) not in self.seen:
            self.seen.add((path, query))
            self.queue.append((path, query))

    def get(self, path: str, query: str) -> HttpResponseBase:
        headers = {"X-Forwarded-Proto": "https"} if self.secure else {}
        response: HttpResponseBase = self.client.get(
            path, QUERY_STRING=query, secure=self.secure, headers=headers, follow=False
        )
        # Every document is asked for as by a first-time reader: nothing carried over.
        self.client.cookies.clear()
        if response.status_code >= 500:
            raise PublishError(f"{path}?{query} answered {response.status_code}")
        if response.has_header("X-Statuspage-Stale"):
            raise PublishError("the database is unreachable: the app serves stale copies")
        return response

    def run(self) -> dict[str, Rendered]:
        done = len(self.seen) - len(self.queue)  # the front page, asked for before
        while self.queue:
            path, query = self.queue.pop(0)
            self.visit(path, query)
            done += 1
            if self.on_progress is not None:
                self.on_progress(done, done + len(self.queue))
        return self.found

    def visit(self, path: str, query: str) -> None:
        response = self.get(path, query)
        served = path
        cache_control = response.get("Cache-Control", "")
        if response.status_code in (301, 308):
            # A permanent redirect to a published document (/favicon.ico): the target's bytes
            # under the asked-for name, as a static host cannot redirect by itself. Cached as
            # the redirect is: the target may be a content-hashed file, cached for good under
            # its own name, never under this one.
            target = self.local(response["Location"], path)
            if target is None:
                return
            response = self.get(*target)
            self.add(*target)
            served = target[0]
        else:
            cache_control = response.get("Cache-Control", "")
        if not publishable(response, served):
            return
        try:
            key = object_key(path, query)
        except LayoutError:
            log.info("not published (no place in a target): %s?%s", path, query)
            return
        body = _body(response)
        self.found[key] = Rendered(
            path=path,
            query=query,
            key=key,
            body=body,
            content_type=response["Content-Type"],
            cache_control=cache_control,
        )
        kind = response["Content-Type"].split(";")[0].strip()
        if kind == "text/html":
            for link in _LINK.findall(body):
                target = self.local(unescape(link.decode("utf-8", "replace")).strip(), path)
                if target is not None:
                    self.add(*target)
        if path in PAGED_JSON and kind == "application/json":
            self.next_page(path, query, body)

    def next_page(self, path: str, query: str, body: bytes) -> None:
        items = json.loads(body).get(PAGED_JSON[path]) or []
        if not items:
            return
        number = int(query.removeprefix("page=")) if query.startswith("page=") else 1
        following = f"page={number + 1}"
        probe = self.get(path, following)
        if probe.status_code == 200 and json.loads(_body(probe)).get(PAGED_JSON[path]):
            self.add(path, following)

    def local(self, link: str, base: str) -> tuple[str, str] | None:
        """The (path, query) a link leads to on this site, or None (elsewhere, not a
        document)."""
        if link.startswith("?"):
            link = base + link
        elif link.startswith(self.origin + "/"):
            link = link[len(self.origin) :]
        if not link.startswith("/") or link.startswith("//"):
            return None
        path, _, query = link.partition("?")
        if path.startswith(NEVER_FOLLOWED) or (query and not QUERY.fullmatch(query)):
            return None
        return path, query


def _body(response: HttpResponseBase) -> bytes:
    if isinstance(response, StreamingHttpResponse):  # static files (WhiteNoise)
        return b"".join(cast(Iterable[bytes], response.streaming_content))
    return cast(HttpResponse, response).content


def _ids() -> Iterator[str]:
    ids = selectors.public_ids()
    for public_id in [*ids.incidents, *ids.maintenance]:
        yield f"/api/v2/incidents/{public_id}.json"
    for public_id in ids.incidents:
        yield f"/incidents/{public_id}"
    for public_id in ids.maintenance:
        yield f"/maintenance/{public_id}"
    for public_id in [*ids.components, *ids.groups]:
        yield f"/badge/{public_id}.svg"
    for notice in [*selectors.incidents_unresolved(), *selectors.maintenance_active()]:
        yield f"/embed/frame?id={notice.public_id}"


def render_site(
    *, public_url: str, on_progress: Callable[[int, int], None] | None = None
) -> dict[str, Rendered]:
    """Every public document of the page, by key. An empty result means the page is not
    public (its front page is not a public document): nothing of it may be published.
    Raises PublishError when the page cannot be rendered whole (a 5xx, the database down)."""
    parts = urlsplit(public_url)
    domain, _port = split_domain_port(parts.netloc)
    allowed = settings.ALLOWED_HOSTS or (
        ["localhost", "127.0.0.1", "[::1]"] if settings.DEBUG else []
    )
    if not validate_host(domain, allowed):
        raise PublishError(
            f"the page's host {parts.netloc!r} (from its public URL) is not in ALLOWED_HOSTS"
        )
    environ: dict[str, Any] = {"HTTP_HOST": parts.netloc, RENDER_ONLY: "1"}
    client = Client(raise_request_exception=False, **environ)
    origin = f"{parts.scheme}://{parts.netloc}"
    crawl = _Crawl(client, parts.scheme == "https", origin, on_progress)
    front = crawl.get("/", "")
    if front.status_code != 200:
        # A redirect (HTTPS, a host), a 404: something is wrong with how the page is reached,
        # not a page gone private. Publishing nothing must not withdraw what is published.
        raise PublishError(f"the front page answered {front.status_code}, not 200")
    crawl.seen.add(("/", ""))
    crawl.visit("/", "")
    if "index.html" not in crawl.found:
        return {}
    for entry in ENTRY_POINTS[1:]:
        crawl.add(*entry.partition("?")[::2])
    for entry in _ids():
        crawl.add(*entry.partition("?")[::2])
    return crawl.run()
