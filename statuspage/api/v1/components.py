"""/pages/{page_id}/components: list, create, read, edit, delete, and a component's uptime."""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpResponse
from django.utils import timezone

from incidents import selectors, services
from incidents.models import Component, ComponentGroup, Page
from statuspage.access.models import Scope
from statuspage.api.v1 import fields as f
from statuspage.api.v1 import serializers as ser
from statuspage.api.v1.http import (
    ApiError,
    ApiRequest,
    api_view,
    int_param,
    json_response,
    no_content,
    page_of,
    require,
)
from statuspage.api.v1.openapi_parts import (
    ERRORS,
    array_of,
    json_body,
    ok,
    path_id,
    query,
    ref,
)
from statuspage.api.v1.resources import COMPONENT, read

MAX_UPTIME_DAYS = 366
_DESCRIPTIVE = (
    "name",
    "description",
    "group_id",
    "showcase",
    "only_show_if_degraded",
    "start_date",
)


def get_component(page: Page, public_id: str) -> Component:
    return Component.objects.get(public_id=public_id, page=page)


def _group(page: Page, group_id) -> ComponentGroup | None:
    if group_id in (None, ""):
        return None
    if not isinstance(group_id, str) or not f.ID.fullmatch(group_id):
        raise ApiError.field("group_id", f"No component group with id {str(group_id)[:20]!r}.")
    group = ComponentGroup.objects.filter(public_id=group_id, page=page).first()
    if group is None:
        raise ApiError.field("group_id", f"No component group with id {group_id!r}.")
    return group


def _descriptive(page: Page, data: dict) -> dict:
    """The service keyword arguments for the descriptive fields present in `data`."""
    out = {}
    for name in ("name", "description"):
        value = f.text(data, name, max_length=120 if name == "name" else 10_000)
        if value is not f.MISSING:
            out[name] = value.strip() if name == "name" else value
    for name in ("showcase", "only_show_if_degraded"):
        value = f.boolean(data, name)
        if value is not f.MISSING:
            out[name] = value
    if "start_date" in data:
        out["start_date"] = f.day(data, "start_date")
    if "group_id" in data:
        out["group"] = _group(page, data["group_id"])
    return out


def _one(page: Page, component: Component, status: int = 200) -> HttpResponse:
    return json_response(ser.component(ser.Context(page), component.public_id), status=status)


@api_view(GET=Scope.READ, POST=Scope.COMPONENTS)
def component_list(request: ApiRequest) -> HttpResponse:
    this_page = page_of(request)
    if request.method == "POST":
        data = read(request, COMPONENT)
        fields = _descriptive(this_page, data)
        if "name" not in fields:
            raise ApiError.field("name", "A component needs a name.")
        status = f.text(data, "status", default="operational") or "operational"
        component = services.component_create(
            actor=request.api_actor, status=status, page=this_page, **fields
        )
        return _one(this_page, component, status=201)
    per_page = int_param(request, "per_page", 100, maximum=100)
    page = int_param(request, "page", 1, maximum=100_000)
    rows = ser.Context(this_page).rows
    return json_response(rows[(page - 1) * per_page : page * per_page])


# A component's status is a responder's job (incidents:write); anything else changes the page's
# structure (components:write). Either scope opens the door; the body decides what is needed.
_EDIT = (Scope.INCIDENTS, Scope.COMPONENTS)


@api_view(GET=Scope.READ, PATCH=_EDIT, PUT=_EDIT, DELETE=Scope.COMPONENTS)
def component_detail(request: ApiRequest, component_id: str) -> HttpResponse:
    page = page_of(request)
    component = get_component(page, component_id)
    if request.method == "GET":
        return _one(page, component)
    if request.method == "DELETE":
        services.component_delete(component=component, actor=request.api_actor)
        return no_content()
    data = read(request, COMPONENT)
    # Every scope the body needs is checked before anything is written.
    if "status" in data:
        require(request, Scope.INCIDENTS)
    if any(name in data for name in _DESCRIPTIVE):
        require(request, Scope.COMPONENTS)
    fields = _descriptive(page, data)
    status = f.text(data, "status")
    # As for incidents: notify unless told not to. Whether a change outside an incident
    # notifies at all is the page's setting (notify_component_changes).
    notify = f.boolean(data, "deliver_notifications", True)
    if status is not f.MISSING:
        services.component_status_set(
            component=component, status=status, notify=notify, actor=request.api_actor
        )
    if fields:
        services.component_update(component=component, actor=request.api_actor, **fields)
    return _one(page, component)


@api_view(GET=Scope.READ)
def component_uptime(request: ApiRequest, component_id: str) -> HttpResponse:
    page = page_of(request)
    component = get_component(page, component_id)
    today = timezone.now().astimezone(page.tz).date()
    end = f.day(request.GET, "end", None) or today
    tracked_from = component.start_date or component.created_at.astimezone(page.tz).date()
    start = f.day(request.GET, "start", None) or max(end - timedelta(days=89), tracked_from)
    if end > today:
        raise ApiError.field("end", "end cannot be in the future.", status=400)
    if start > end:
        raise ApiError.field("start", "start must not be after end.", status=400)
    if (today - start).days >= MAX_UPTIME_DAYS:
        raise ApiError.field(
            "start", f"start must be within the last {MAX_UPTIME_DAYS} days.", status=400
        )
    warnings = []
    if start < tracked_from:
        warnings.append(f"Uptime is tracked from {tracked_from.isoformat()}.")
    days = (today - start).days + 1
    uptime = selectors.uptime_daily([component], page=page, days=days)[component.id]
    in_range = [d for d in uptime.days if start <= d.day <= end and d.has_data]
    tracked = sum(d.tracked_seconds for d in in_range)
    down = sum(d.downtime_seconds for d in in_range)
    events: dict[str, dict[str, str]] = {}
    by_day = selectors.incidents_by_day([component], page=page, days=days).get(component.id, {})
    for when, refs in sorted(by_day.items()):
        if start <= when <= end:
            for incident in refs:
                events.setdefault(
                    incident.public_id, {"name": incident.name, "code": incident.public_id}
                )
    return json_response(
        {
            "range_start": start.isoformat(),
            "range_end": end.isoformat(),
            "uptime_percentage": round(100 * (1 - down / tracked), 4) if tracked else None,
            "major_outage": round(sum(d.major_seconds for d in in_range)),
            "partial_outage": round(sum(d.partial_seconds for d in in_range)),
            "warnings": warnings,
            "related_events": list(events.values()),
        }
    )


_BODY = json_body("component", "ComponentInput")
OPENAPI_PATHS = {
    "/pages/{page_id}/components": {
        "get": {
            "summary": "List components (groups included, as in the public JSON)",
            "tags": ["components"],
            "parameters": [query("page", "integer"), query("per_page", "integer", maximum=100)],
            "responses": {"200": ok(array_of("Component")), **ERRORS},
        },
        "post": {
            "summary": "Create a component",
            "tags": ["components"],
            "requestBody": _BODY,
            "responses": {"201": ok(ref("Component")), **ERRORS},
        },
    },
    "/pages/{page_id}/components/{component_id}": {
        "parameters": [path_id("component_id")],
        "get": {
            "summary": "Get a component",
            "tags": ["components"],
            "responses": {"200": ok(ref("Component")), **ERRORS},
        },
        "patch": {
            "summary": "Update a component (a status-only change needs incidents:write)",
            "description": "A status change notifies the component's subscribers when the page "
            "setting notify_component_changes is on, unless deliver_notifications is false.",
            "tags": ["components"],
            "requestBody": _BODY,
            "responses": {"200": ok(ref("Component")), **ERRORS},
        },
        "put": {
            "summary": "Update a component (same as PATCH)",
            "tags": ["components"],
            "requestBody": _BODY,
            "responses": {"200": ok(ref("Component")), **ERRORS},
        },
        "delete": {
            "summary": "Delete a component",
            "tags": ["components"],
            "responses": {"204": {"description": "Deleted"}, **ERRORS},
        },
    },
    "/pages/{page_id}/components/{component_id}/uptime": {
        "parameters": [path_id("component_id")],
        "get": {
            "summary": "Uptime of a component over a range of days (default: the last 90)",
            "tags": ["components"],
            "parameters": [
                query("start", "string", fmt="date"),
                query("end", "string", fmt="date"),
            ],
            "responses": {"200": ok(ref("Uptime")), **ERRORS},
        },
    },
}
