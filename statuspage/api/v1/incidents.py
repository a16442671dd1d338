"""/pages/{page_id}/incidents: incidents and maintenance windows, Statuspage-style (a window
is an incident with scheduled_* fields), and edits of single updates."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from incidents import selectors, services
from incidents.models import Incident, IncidentUpdate, Maintenance, Page
from statuspage.access.models import Scope
from statuspage.api.v1 import incident_writes as writes
from statuspage.api.v1 import serializers as ser
from statuspage.api.v1.http import (
    ApiError,
    ApiRequest,
    api_view,
    int_param,
    json_response,
    page_of,
)
from statuspage.api.v1.openapi_parts import ERRORS, array_of, json_body, ok, path_id, query, ref
from statuspage.api.v1.resources import INCIDENT, INCIDENT_UPDATE, read


def _q(request: HttpRequest) -> str | None:
    q = request.GET.get("q", "").strip()
    if "\x00" in q or len(q) > 200:
        raise ApiError.field("q", "q must be at most 200 characters, without NUL.", status=400)
    return q or None


def _window(request: HttpRequest) -> tuple[int, int]:
    # `limit` as in Statuspage's API description, `per_page` as older clients send it.
    name = "limit" if "limit" in request.GET else "per_page"
    limit = int_param(request, name, 100, maximum=100)
    page = int_param(request, "page", 1, maximum=10_000)
    return (page - 1) * limit, limit


def _listing(page: Page, objects: Iterable[Incident | Maintenance]) -> list[dict]:
    ctx = ser.Context(page)
    return [ser.any_incident(ctx, obj) for obj in objects]


def _find(page: Page, public_id: str) -> Incident | Maintenance:
    found = selectors.incident_get(public_id, page) or selectors.maintenance_get(public_id, page)
    if found is None:
        raise ApiError(404, "No incident or maintenance with that id.")
    return found


def _one(page: Page, obj: Incident | Maintenance, status: int = 200) -> HttpResponse:
    fresh = _find(page, obj.public_id)
    return json_response(ser.any_incident(ser.Context(page), fresh), status=status)


@api_view(GET=Scope.READ, POST=Scope.INCIDENTS)
def incident_list(request: ApiRequest) -> HttpResponse:
    """All incidents and windows, newest first; `q` searches names."""
    page = page_of(request)
    if request.method == "POST":
        created = writes.create(read(request, INCIDENT), request.api_actor, page)
        return _one(page, created, status=201)
    q = _q(request)
    offset, limit = _window(request)
    # Merge two newest-first lists: the first offset+limit of each hold the page.
    wanted = offset + limit
    found: list[Incident | Maintenance] = [
        *selectors.incidents_matching(q, page=page)[:wanted],
        *selectors.maintenance_matching(q, page=page)[:wanted],
    ]
    merged = sorted(found, key=_listed_at, reverse=True)
    return json_response(_listing(page, merged[offset:wanted]))


def _listed_at(obj: Incident | Maintenance) -> datetime:
    """Where an incident or a window sorts in the merged list: its start, or its window's."""
    return obj.started_at if isinstance(obj, Incident) else obj.scheduled_for


def _simple_list(
    selector: Callable[[Page], QuerySet[Incident] | QuerySet[Maintenance]],
) -> Callable[..., HttpResponse]:
    @api_view(GET=Scope.READ)
    def view(request: ApiRequest) -> HttpResponse:
        page = page_of(request)
        offset, limit = _window(request)
        return json_response(_listing(page, selector(page)[offset : offset + limit]))

    return view


incident_unresolved = _simple_list(selectors.incidents_unresolved)
incident_upcoming = _simple_list(selectors.maintenance_upcoming)
incident_scheduled = _simple_list(lambda page: selectors.maintenance_matching(page=page))
incident_active_maintenance = _simple_list(selectors.maintenance_active)


@api_view(GET=Scope.READ, PATCH=Scope.INCIDENTS, PUT=Scope.INCIDENTS, DELETE=Scope.INCIDENTS)
def incident_detail(request: ApiRequest, incident_id: str) -> HttpResponse:
    page = page_of(request)
    obj = _find(page, incident_id)
    if request.method == "GET":
        return _one(page, obj)
    if request.method == "DELETE":
        data = ser.any_incident(ser.Context(page), obj)
        if isinstance(obj, Maintenance):
            services.maintenance_delete(maintenance=obj, actor=request.api_actor)
        else:
            services.incident_delete(incident=obj, actor=request.api_actor)
        return json_response(data)
    writes.patch(obj, read(request, INCIDENT), request.api_actor)
    return _one(page, obj)


@api_view(PATCH=Scope.INCIDENTS, PUT=Scope.INCIDENTS)
def incident_update_detail(request: ApiRequest, incident_id: str, update_id: str) -> HttpResponse:
    page = page_of(request)
    update = IncidentUpdate.objects.select_related("incident").get(
        public_id=update_id, incident__public_id=incident_id, incident__page=page
    )
    update = writes.update_edit(update, read(request, INCIDENT_UPDATE), request.api_actor)
    return json_response(ser.incident_update(update, incident_id, page))


_TAGS = ["incidents"]
_LIST_PARAMS = [
    query("limit", "integer", maximum=100),
    query("per_page", "integer", maximum=100),
    query("page", "integer", maximum=10_000),
]
_BODY = json_body("incident", "IncidentInput")


def _list_op(summary: str, params=()) -> dict:
    return {
        "get": {
            "summary": summary,
            "tags": _TAGS,
            "parameters": [*params, *_LIST_PARAMS],
            "responses": {"200": ok(array_of("Incident")), **ERRORS},
        }
    }


OPENAPI_PATHS = {
    "/pages/{page_id}/incidents": {
        **_list_op("List incidents and maintenance, newest first", [query("q", "string")]),
        "post": {
            "summary": "Create an incident; with scheduled_for, a maintenance window; with "
            "backfilled, a resolved incident in the past",
            "tags": _TAGS,
            "requestBody": _BODY,
            "responses": {"201": ok(ref("Incident")), **ERRORS},
        },
    },
    "/pages/{page_id}/incidents/unresolved": _list_op("Unresolved incidents"),
    "/pages/{page_id}/incidents/upcoming": _list_op("Maintenance not yet started"),
    "/pages/{page_id}/incidents/scheduled": _list_op("All maintenance windows"),
    "/pages/{page_id}/incidents/active_maintenance": _list_op("Maintenance in progress"),
    "/pages/{page_id}/incidents/{incident_id}": {
        "parameters": [path_id("incident_id")],
        "get": {
            "summary": "Get an incident or maintenance",
            "tags": _TAGS,
            "responses": {"200": ok(ref("Incident")), **ERRORS},
        },
        "patch": {
            "summary": "Edit name/impact_override; a status, body or components post an update",
            "tags": _TAGS,
            "requestBody": _BODY,
            "responses": {"200": ok(ref("Incident")), **ERRORS},
        },
        "put": {
            "summary": "Same as PATCH",
            "tags": _TAGS,
            "requestBody": _BODY,
            "responses": {"200": ok(ref("Incident")), **ERRORS},
        },
        "delete": {
            "summary": "Delete an incident or maintenance; answers the deleted object",
            "tags": _TAGS,
            "responses": {"200": ok(ref("Incident")), **ERRORS},
        },
    },
    "/pages/{page_id}/incidents/{incident_id}/incident_updates/{update_id}": {
        "parameters": [path_id("incident_id"), path_id("update_id")],
        **{
            method: {
                "summary": "Edit an update's body, display_at or deliver_notifications",
                "tags": _TAGS,
                "requestBody": json_body("incident_update", "IncidentUpdateInput"),
                "responses": {"200": ok(ref("IncidentUpdate")), **ERRORS},
            }
            for method in ("patch", "put")
        },
    },
}
