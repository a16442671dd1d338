"""/pages/{page_id}/component-groups: list, create, read, edit, delete."""

from __future__ import annotations

from django.db import transaction
from django.http import HttpResponse

from incidents import services
from incidents.models import Component, ComponentGroup, Page
from statuspage.access.models import Scope
from statuspage.api.v1 import fields as f
from statuspage.api.v1 import serializers as ser
from statuspage.api.v1.http import (
    ApiError,
    ApiRequest,
    api_view,
    json_response,
    no_content,
    page_of,
    paginate,
)
from statuspage.api.v1.openapi_parts import ERRORS, array_of, json_body, ok, path_id, query, ref
from statuspage.api.v1.resources import COMPONENT_GROUP, read


def _components(page: Page, data: dict) -> list[Component] | None:
    ids = f.id_list(data, "components", None)
    if ids is None:
        return None
    found = {c.public_id: c for c in Component.objects.filter(public_id__in=ids, page=page)}
    unknown = [i for i in ids if i not in found]
    if unknown:
        raise ApiError.field("components", "Unknown component ids: " + ", ".join(unknown[:10]))
    return [found[i] for i in dict.fromkeys(ids)]


def _fields(data: dict) -> dict:
    out = {}
    name = f.text(data, "name", max_length=120)
    if name is not f.MISSING:
        out["name"] = name.strip()
    description = f.text(data, "description", max_length=10_000)
    if description is not f.MISSING:
        out["description"] = description
    return out


def _one(page: Page, group: ComponentGroup, status: int = 200) -> HttpResponse:
    return json_response(ser.group(ser.Context(page), group.public_id), status=status)


@api_view(GET=Scope.READ, POST=Scope.COMPONENTS)
def group_list(request: ApiRequest) -> HttpResponse:
    page = page_of(request)
    if request.method == "POST":
        data = read(request, COMPONENT_GROUP)
        fields, members = _fields(data), _components(page, data)
        if not fields.get("name"):
            raise ApiError.field("name", "A group needs a name.")
        # One transaction: a group whose members cannot be set is not left behind.
        with transaction.atomic():
            group = services.component_group_create(actor=request.api_actor, page=page, **fields)
            if members:
                services.component_group_set_members(
                    group=group, components=members, actor=request.api_actor
                )
        return _one(page, group, status=201)
    ctx = ser.Context(page)
    groups = [ser.group(ctx, node.group.public_id) for node in ctx.tree.groups]
    return json_response(paginate(request, groups, limit_param="per_page"))


@api_view(GET=Scope.READ, PATCH=Scope.COMPONENTS, PUT=Scope.COMPONENTS, DELETE=Scope.COMPONENTS)
def group_detail(request: ApiRequest, group_id: str) -> HttpResponse:
    page = page_of(request)
    group = ComponentGroup.objects.get(public_id=group_id, page=page)
    if request.method == "GET":
        return _one(page, group)
    if request.method == "DELETE":
        services.component_group_delete(group=group, actor=request.api_actor)
        return no_content()
    data = read(request, COMPONENT_GROUP)
    fields, members = _fields(data), _components(page, data)
    with transaction.atomic():
        if fields:
            services.component_group_update(group=group, actor=request.api_actor, **fields)
        if members is not None:
            services.component_group_set_members(
                group=group, components=members, actor=request.api_actor
            )
    return _one(page, group)


_BODY = json_body("component_group", "ComponentGroupInput")
_TAGS = ["component-groups"]
OPENAPI_PATHS = {
    "/pages/{page_id}/component-groups": {
        "get": {
            "summary": "List component groups",
            "tags": _TAGS,
            "parameters": [query("page", "integer"), query("per_page", "integer", maximum=100)],
            "responses": {"200": ok(array_of("ComponentGroup")), **ERRORS},
        },
        "post": {
            "summary": "Create a component group (listed components move into it)",
            "tags": _TAGS,
            "requestBody": _BODY,
            "responses": {"201": ok(ref("ComponentGroup")), **ERRORS},
        },
    },
    "/pages/{page_id}/component-groups/{group_id}": {
        "parameters": [path_id("group_id")],
        "get": {
            "summary": "Get a component group",
            "tags": _TAGS,
            "responses": {"200": ok(ref("ComponentGroup")), **ERRORS},
        },
        "patch": {
            "summary": "Update a group; `components` becomes its exact member list",
            "tags": _TAGS,
            "requestBody": _BODY,
            "responses": {"200": ok(ref("ComponentGroup")), **ERRORS},
        },
        "put": {
            "summary": "Update a group (same as PATCH)",
            "tags": _TAGS,
            "requestBody": _BODY,
            "responses": {"200": ok(ref("ComponentGroup")), **ERRORS},
        },
        "delete": {
            "summary": "Delete a group (its components stay, ungrouped)",
            "tags": _TAGS,
            "responses": {"204": {"description": "Deleted"}, **ERRORS},
        },
    },
}
