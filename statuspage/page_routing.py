"""Which page a request is for, resolved once, before any cache lookup (docs/pages.md).

In order: the Host header (lowercased, port stripped) exactly among the pages' hosts; else a
`/p/<slug>/` path prefix; else the default page. All three only for a host the install answers
for (ALLOWED_HOSTS): any other host is left to Django's 400 and selects no page. An unknown host
never selects another page than the default, and `/p/<unknown>/` is a 404.

Under a prefix the prefix is taken off `path_info` (the URLconf serves the page as at the root;
`/p/<slug>/de/history` is the prefix, then the language) and becomes the script prefix for the
request, so every reverse() (template links, feeds, Markdown) carries it. `request.path` keeps
it, so the public cache keys and the WSGI fast path (which sees the raw path) tell the pages
apart; the documents' version names the page too (statuspage/public_cache/).

The same `resolve` runs in PageRoutingMiddleware and in the WSGI fast path
(statuspage/public_fast_path.py), from the same headers, so both serve the same page.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.core.signals import setting_changed
from django.db import DatabaseError
from django.dispatch import receiver
from django.http import (
    Http404,
    HttpRequest,
    HttpResponseNotFound,
    HttpResponsePermanentRedirect,
)
from django.http.request import split_domain_port, validate_host
from django.http.response import HttpResponseBase
from django.urls import get_script_prefix, set_script_prefix

from incidents import page_routes
from incidents.origin import fallback_url
from incidents.page_routes import Route

_PREFIX = re.compile(r"^/p/([^/]+)(/.*)?$")
# What a page prefix never precedes: the operators' surfaces and the machines' endpoints work
# on the install, not on a page.
_NOT_UNDER_PREFIX = re.compile(
    r"^/(?:(?:admin|dashboard|api/v1|hooks|monitors|static)(?:/|$)|(?:healthz|readyz|metrics)$)"
)

# The page of the request being served (None outside a request, or for a host the install
# does not answer for): absolute links are built from it (`link_base`).
current: ContextVar[Route | None] = ContextVar("status_page", default=None)


@dataclass(frozen=True)
class Resolution:
    route: Route | None  # None: the host is not one the install answers for, or no page yet
    path: str  # the path the URLconf serves (without the page prefix)
    outcome: str = "ok"  # "ok", "not-found" (an unknown slug), "redirect" (/p/<slug>)


def raw_host(meta: Mapping[str, str]) -> str:
    """The Host as Django's request.get_host() reads it (META and the WSGI environ alike)."""
    if _host_settings()[0] and "HTTP_X_FORWARDED_HOST" in meta:
        return meta["HTTP_X_FORWARDED_HOST"]
    if "HTTP_HOST" in meta:
        return meta["HTTP_HOST"]
    host = meta.get("SERVER_NAME", "")
    port = str(meta.get("SERVER_PORT", ""))
    secure = meta.get("wsgi.url_scheme") == "https"
    return host if port in ("", "443" if secure else "80") else f"{host}:{port}"


def _allowed_hosts() -> list[str]:
    return _host_settings()[1]


# (USE_X_FORWARDED_HOST, the allowed hosts as request.get_host() reads them), read once: each
# read of a setting goes through Django's lazy settings object, a few Python calls, and the
# WSGI fast path reads them on every answer. Forgotten when a setting changes (tests).
_settings_memo: list[tuple[bool, list[str]]] = []


def _host_settings() -> tuple[bool, list[str]]:
    if not _settings_memo:
        # As request.get_host(): an empty list allows the local names while DEBUG is on.
        allowed = list(settings.ALLOWED_HOSTS)
        if settings.DEBUG and not allowed:
            allowed = [".localhost", "127.0.0.1", "[::1]"]
        _settings_memo[:] = [(settings.USE_X_FORWARDED_HOST, allowed)]
    return _settings_memo[0]


# (raw host, path) -> (the routes table it was resolved with, or None when the table played
# no part, and the resolution). The fast path resolves the same few pairs tens of thousands of
# times a second; under load each resolution cost several microseconds of interpreter time
# (parsing the host, matching it against ALLOWED_HOSTS, building the route), more than the
# rest of the cached answer (docs/performance.md, "Where the cached answer's CPU goes under
# granian"). Bounded: hosts and paths are the client's to choose.
_resolved: dict[tuple[str, str], tuple[page_routes.Table | None, Resolution]] = {}
RESOLVED_MEMO_SIZE = 1024


@receiver(setting_changed)
def _forget_settings(**kwargs: object) -> None:
    _settings_memo.clear()
    _resolved.clear()


def resolve(host: str, path: str) -> Resolution:
    """The page `host` (a raw Host header) and `path` (the path after SCRIPT_NAME) name.
    Raises DatabaseError when the routes must be loaded and cannot be (see page_routes).
    Remembered per (host, path) while the routes table is the same (page_routes.table still
    checks, as on every request, whether it changed)."""
    memo = _resolved.get((host, path))
    if memo is not None and (memo[0] is None or memo[0] is page_routes.table()):
        return memo[1]
    table, resolution = _resolve(host, path)
    if len(_resolved) >= RESOLVED_MEMO_SIZE:
        _resolved.clear()
    _resolved[host, path] = (table, resolution)
    return resolution


def _resolve(host: str, path: str) -> tuple[page_routes.Table | None, Resolution]:
    domain, _port = split_domain_port(host)
    if not domain or not validate_host(domain, _allowed_hosts()) or _NOT_UNDER_PREFIX.match(path):
        # Not a host the install answers for (Django answers 400), or not a page's address
        # (the dashboard, the management API, the health checks: no routes read for them).
        return None, Resolution(None, path)
    table = page_routes.table()
    return table, _in_table(table, domain, path)


def _in_table(table: page_routes.Table, domain: str, path: str) -> Resolution:
    page_id = table.hosts.get(domain)
    if page_id is not None:
        return Resolution(table.route(page_id), path)
    match = _PREFIX.match(path)
    if match is not None:
        page_id = table.slugs.get(match.group(1))
        rest = match.group(2)
        if page_id is None or (rest is not None and _NOT_UNDER_PREFIX.match(rest)):
            # The rest of the path says how the 404 is written (JSON under /api/).
            return Resolution(None, rest or path, "not-found")
        route = table.route(page_id, prefixed=True)
        return Resolution(route, rest or "", "ok" if rest else "redirect")
    if table.default is None:
        return Resolution(None, path)
    return Resolution(table.route(table.default), path)


class PageRoutingMiddleware:
    """Sets `request.status_page` (a page_routes.Route, or None for a host the install does not
    answer for), takes a page prefix off `path_info`, and makes it the script prefix for the
    request's links. Runs before the public cache and the language prefix."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        try:
            resolution = resolve(raw_host(request.META), request.path_info)
        except DatabaseError:
            # No routes and no saved copy: no page is known, so no page's snapshot is served.
            resolution = Resolution(None, request.path_info)
        if resolution.outcome == "not-found":
            if resolution.path.startswith("/api/"):
                # Under /api/ every answer is JSON (statuspage/api_edge.py runs after this).
                return HttpResponseNotFound(
                    json.dumps({"error": "No such status page."}),
                    content_type="application/json",
                )
            raise Http404("No such status page.")
        if resolution.outcome == "redirect":
            return HttpResponsePermanentRedirect(request.path + "/")
        route = resolution.route
        request.status_page = route  # type: ignore[attr-defined]
        script_prefix = get_script_prefix()
        if route is not None and route.prefix:
            request.path_info = resolution.path
            set_script_prefix(script_prefix.rstrip("/") + route.prefix + "/")
        token = current.set(route)
        try:
            return self.get_response(request)
        finally:
            current.reset(token)
            set_script_prefix(script_prefix)


def page_of(request: HttpRequest) -> int | None:
    """The id of the request's page (None: the default page, for requests no middleware saw)."""
    route = getattr(request, "status_page", None)
    return None if route is None else route.id


def page_is_public(request: HttpRequest) -> bool:
    """Whether the request's page serves everyone (no sign-in): only such a page's documents
    may enter the shared caches, the snapshots and the fast path."""
    return page_visibility(request) == "public"


def page_visibility(request: HttpRequest) -> str:
    """The request's page's visibility ("public", "private" or "audience"). Every request the
    stack serves carries `status_page` (PageRoutingMiddleware sets it, None included): None
    means the default page, whose visibility the routes table knows; when the table cannot be
    read, the page counts as private."""
    if not hasattr(request, "status_page"):
        # Built outside the middleware stack (a view called directly): the default page as
        # the table this process holds says, without I/O; with no table, nothing is known
        # to be private.
        held = page_routes.held()
        if held is None or held.default is None:
            return "public"
        return held.route(held.default).visibility
    route = request.status_page
    if route is None:
        try:
            table = page_routes.table()
        except DatabaseError:
            return "private"
        if table.default is None:
            return "public"  # no page at all: nothing to keep private
        route = table.route(table.default)
    return route.visibility


def link_base(page) -> str:
    """What reverse()'s paths and `request.path` are appended to for an absolute link to
    `page`: its public URL, or under a page prefix the address the reader came to (the path
    then carries the prefix, which the page's own address would not serve)."""
    route = current.get()
    if route is not None and route.prefix:
        # The request's origin, which ends with the prefix (statuspage/origin.py).
        return fallback_url().rstrip("/").removesuffix(route.prefix)
    return str(page.public_url)
