"""Public Statuspage-compatible v2 JSON. Views stay thin: selectors read, serializers shape.

Every view goes through @public_document (generation-keyed cache, ETag/304, no cookies, stale
snapshot when the database is down) with `Access-Control-Allow-Origin: *`, because browser
widgets read these documents cross-origin and without credentials.
"""

from __future__ import annotations

import functools
import json
import re

from django.http import HttpResponse

from incidents import selectors
from statuspage.api import serializers as s
from statuspage.public_cache import public_document

CORS = {"Access-Control-Allow-Origin": "*"}
# Far beyond any real history; bounds the OFFSET a client can make the database compute.
MAX_PAGE = 100_000
_PAGE_NUMBER = re.compile(r"[0-9]{1,6}")

# Request headers a cross-origin preflight may ask for: names only, nothing else echoed back.
_HEADER_NAMES = re.compile(r"[A-Za-z0-9-]+(\s*,\s*[A-Za-z0-9-]+)*")


def cors_preflight(view):
    """Answer a CORS preflight (OPTIONS) so that browser code that adds a header to its GET
    (and so triggers one) can still read the documents. No credentials are ever allowed."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method != "OPTIONS":
            return view(request, *args, **kwargs)
        response = HttpResponse(status=204)
        response["Access-Control-Allow-Origin"] = "*"
        response["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
        asked = request.headers.get("Access-Control-Request-Headers", "").strip()
        if asked and len(asked) <= 500 and _HEADER_NAMES.fullmatch(asked):
            response["Access-Control-Allow-Headers"] = asked
        response["Access-Control-Max-Age"] = "86400"
        response.public_document = True
        return response

    return wrapper


def public_json(view=None, *, query_params: tuple[str, ...] = ("page",)):
    """A public JSON document: cached read path, CORS-open, preflight answered."""

    def decorate(view):
        return cors_preflight(public_document(query_params=query_params, headers=CORS)(view))

    return decorate(view) if view is not None else decorate


def json_response(data: dict, *, status: int = 200) -> HttpResponse:
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, separators=(",", ":")),
        content_type="application/json",
        status=status,
    )
    if status != 200:
        # Errors bypass the document cache, so they get its public treatment here.
        for name, value in CORS.items():
            response[name] = value
        response["Cache-Control"] = "public, max-age=5"
        response.public_document = True
    return response


def error(status: int, message: str) -> HttpResponse:
    return json_response({"error": message}, status=status)


def _offset(request) -> int | None:
    """0-based offset for `?page=N` (1-based, 50 per page); None when N is not valid."""
    raw = request.GET.get("page", "").strip() or "1"
    if not _PAGE_NUMBER.fullmatch(raw) or not 1 <= int(raw) <= MAX_PAGE:
        return None
    return (int(raw) - 1) * s.PER_PAGE


def _bad_page() -> HttpResponse:
    return error(400, f"page must be a whole number from 1 to {MAX_PAGE}.")


def _components(page):
    tree = selectors.component_tree()
    rows = s.components_list(tree, page)
    return tree, rows, s.components_by_pk(tree, rows)


@public_json
def summary(request):
    page = selectors.page_get()
    tree, rows, by_pk = _components(page)
    indicator, description = selectors.status_summary(tree.components)
    maintenances = [*selectors.maintenance_active(), *selectors.maintenance_upcoming()]
    return json_response(
        {
            "page": s.page_dict(page),
            "status": s.status_dict(indicator, description),
            "components": rows,
            "incidents": [
                s.incident_dict(i, page, by_pk) for i in selectors.incidents_unresolved()
            ],
            "scheduled_maintenances": [s.maintenance_dict(m, page, by_pk) for m in maintenances],
        }
    )


@public_json
def status(request):
    page = selectors.page_get()
    indicator, description = selectors.status_summary()
    return json_response(
        {"page": s.page_dict(page), "status": s.status_dict(indicator, description)}
    )


@public_json
def components(request):
    offset = _offset(request)
    if offset is None:
        return _bad_page()
    page = selectors.page_get()
    _tree, rows, _by_pk = _components(page)
    return json_response(
        {"page": s.page_dict(page), "components": rows[offset : offset + s.PER_PAGE]}
    )


def _incident_list(request, select):
    offset = _offset(request)
    if offset is None:
        return _bad_page()
    page = selectors.page_get()
    _tree, _rows, by_pk = _components(page)
    incidents = select(offset)
    return json_response(
        {
            "page": s.page_dict(page),
            "incidents": [s.incident_dict(i, page, by_pk) for i in incidents],
        }
    )


def _maintenance_list(request, select):
    offset = _offset(request)
    if offset is None:
        return _bad_page()
    page = selectors.page_get()
    _tree, _rows, by_pk = _components(page)
    return json_response(
        {
            "page": s.page_dict(page),
            "scheduled_maintenances": [s.maintenance_dict(m, page, by_pk) for m in select(offset)],
        }
    )


def _window(queryset, offset: int):
    return queryset[offset : offset + s.PER_PAGE]


@public_json
def incidents(request):
    return _incident_list(
        request, lambda offset: selectors.incidents_recent(limit=s.PER_PAGE, offset=offset)
    )


@public_json
def incidents_unresolved(request):
    return _incident_list(request, lambda o: _window(selectors.incidents_unresolved(), o))


@public_json
def scheduled_maintenances(request):
    return _maintenance_list(
        request, lambda offset: selectors.maintenance_recent(limit=s.PER_PAGE, offset=offset)
    )


@public_json
def scheduled_maintenances_upcoming(request):
    return _maintenance_list(request, lambda o: _window(selectors.maintenance_upcoming(), o))


@public_json
def scheduled_maintenances_active(request):
    return _maintenance_list(request, lambda o: _window(selectors.maintenance_active(), o))


@public_json
def incident_detail(request, public_id: str):
    """One incident, or one maintenance (Statuspage serves both as incidents), by public id."""
    page = selectors.page_get()
    incident = selectors.incident_by_public_id(public_id)
    maintenance = None if incident else selectors.maintenance_by_public_id(public_id)
    if incident is None and maintenance is None:
        return error(404, "No incident with that id.")
    _tree, _rows, by_pk = _components(page)
    if incident is not None:
        body = s.incident_dict(incident, page, by_pk)
    else:
        body = s.maintenance_dict(maintenance, page, by_pk)
    return json_response({"page": s.page_dict(page), "incident": body})


def not_found(request, *args, **kwargs):
    """Unknown paths under /api/v2/ answer JSON, not the HTML 404 page: clients parse it."""
    return error(404, "Not found.")
