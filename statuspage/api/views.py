"""Public Statuspage-compatible v2 JSON. Views stay thin: selectors read, incidents.wire shapes.

Every view goes through @public_json (generation-keyed cache, ETag/304, no cookies, stale
snapshot when the database is down, `Access-Control-Allow-Origin: *`), because browser widgets
read these documents cross-origin and without credentials.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from incidents import selectors, wire
from incidents.models import Incident, Maintenance, Page
from statuspage.json_http import json_error, json_response, public_json
from statuspage.page_routing import page_of

PER_PAGE = 50
# Far beyond any real history; bounds the OFFSET a client can make the database compute.
MAX_PAGE = 100_000
_PAGE_NUMBER = re.compile(r"[0-9]{1,6}")


def _offset(request: HttpRequest) -> int | None:
    """0-based offset for `?page=N` (1-based, 50 per page); None when N is not valid."""
    raw = request.GET.get("page", "").strip() or "1"
    if not _PAGE_NUMBER.fullmatch(raw) or not 1 <= int(raw) <= MAX_PAGE:
        return None
    return (int(raw) - 1) * PER_PAGE


def _bad_page() -> HttpResponse:
    return json_error(400, f"page must be a whole number from 1 to {MAX_PAGE}.")


def _context(request: HttpRequest) -> wire.Context:
    """The request's page (statuspage/page_routing.py) and its component rows."""
    return wire.Context(selectors.page_get(page_of(request)))


@public_json
def summary(request: HttpRequest) -> HttpResponse:
    ctx = _context(request)
    page = ctx.page
    indicator, description = selectors.status_summary(ctx.tree.components, page=page)
    maintenances = [*selectors.maintenance_active(page), *selectors.maintenance_upcoming(page)]
    return json_response(
        {
            "page": wire.page_dict(ctx.page),
            "status": wire.status_dict(indicator, description),
            "components": ctx.rows,
            "incidents": [wire.incident_dict(ctx, i) for i in selectors.incidents_unresolved(page)],
            "scheduled_maintenances": [wire.maintenance_dict(ctx, m) for m in maintenances],
        }
    )


@public_json
def status(request: HttpRequest) -> HttpResponse:
    page = selectors.page_get(page_of(request))
    indicator, description = selectors.status_summary(page=page)
    return json_response(
        {"page": wire.page_dict(page), "status": wire.status_dict(indicator, description)}
    )


# Every component, as summary.json lists them and as Statuspage answers: clients read one
# document and never ask for a second page, so `page` is ignored (and does not split the cache).
@public_json(query_params=())
def components(request: HttpRequest) -> HttpResponse:
    ctx = _context(request)
    return json_response({"page": wire.page_dict(ctx.page), "components": ctx.rows})


def _incident_list(
    request: HttpRequest, select: Callable[[int, Page], Iterable[Incident]]
) -> HttpResponse:
    offset = _offset(request)
    if offset is None:
        return _bad_page()
    ctx = _context(request)
    return json_response(
        {
            "page": wire.page_dict(ctx.page),
            "incidents": [wire.incident_dict(ctx, i) for i in select(offset, ctx.page)],
        }
    )


def _maintenance_list(
    request: HttpRequest, select: Callable[[int, Page], Iterable[Maintenance]]
) -> HttpResponse:
    offset = _offset(request)
    if offset is None:
        return _bad_page()
    ctx = _context(request)
    return json_response(
        {
            "page": wire.page_dict(ctx.page),
            "scheduled_maintenances": [
                wire.maintenance_dict(ctx, m) for m in select(offset, ctx.page)
            ],
        }
    )


def _window(queryset: QuerySet, offset: int) -> QuerySet:
    return queryset[offset : offset + PER_PAGE]


@public_json
def incidents(request: HttpRequest) -> HttpResponse:
    return _incident_list(
        request,
        lambda offset, page: selectors.incidents_recent(limit=PER_PAGE, offset=offset, page=page),
    )


@public_json
def incidents_unresolved(request: HttpRequest) -> HttpResponse:
    return _incident_list(request, lambda o, page: _window(selectors.incidents_unresolved(page), o))


@public_json
def scheduled_maintenances(request: HttpRequest) -> HttpResponse:
    return _maintenance_list(
        request,
        lambda offset, page: selectors.maintenance_recent(limit=PER_PAGE, offset=offset, page=page),
    )


@public_json
def scheduled_maintenances_upcoming(request: HttpRequest) -> HttpResponse:
    return _maintenance_list(
        request, lambda o, page: _window(selectors.maintenance_upcoming(page), o)
    )


@public_json
def scheduled_maintenances_active(request: HttpRequest) -> HttpResponse:
    return _maintenance_list(
        request, lambda o, page: _window(selectors.maintenance_active(page), o)
    )


@public_json
def incident_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    """One incident, or one maintenance (Statuspage serves both as incidents), by public id."""
    page = selectors.page_get(page_of(request))
    found = selectors.incident_by_public_id(public_id, page) or selectors.maintenance_by_public_id(
        public_id, page
    )
    if found is None:
        return json_error(404, "No incident with that id.")
    return json_response(wire.incident_document(wire.Context(page), found))


def not_found(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    """Unknown paths under /api/v2/ answer JSON, not the HTML 404 page: clients parse it."""
    return json_error(404, "Not found.")
