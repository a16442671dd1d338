"""/pages/{page_id}/audiences: our extension for audience-specific pages (docs/pages.md,
"Audiences"). Bodies are wrapped like Statuspage's resources: `{"audience": {...}}`."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse

from incidents import services
from incidents.models import Audience, Component
from statuspage.access.models import Scope
from statuspage.api.v1 import fields as f
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
from statuspage.api.v1.resources import AUDIENCE, read

_LISTS = ("emails", "domains", "members")


def audience_dict(audience: Audience) -> dict[str, Any]:
    return {
        "id": audience.public_id,
        "name": audience.name,
        "slug": audience.slug,
        "position": audience.position,
        "component_ids": [c.public_id for c in audience.components.all()],
        "emails": audience.emails,
        "domains": audience.domains,
        "claim_name": audience.claim_name,
        "claim_value": audience.claim_value,
        "members": audience.members,
    }


def _fields(data: dict[str, Any]) -> dict[str, Any]:
    """The service's fields from a body: only those given (a PATCH keeps the rest)."""
    out: dict[str, Any] = {}
    for name, limit in (("name", 120), ("slug", 50), ("claim_name", 64), ("claim_value", 200)):
        value = f.text(data, name, max_length=limit, default=None)
        if value is not None:
            out[name] = value
    if "position" in data:
        if not isinstance(data["position"], int) or isinstance(data["position"], bool):
            raise ApiError.field("position", "position must be a whole number.")
        out["position"] = data["position"]
    for name in _LISTS:
        if name in data:
            value = data[name]
            if value is None:
                value = []
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ApiError.field(name, f"{name} must be a list of strings.")
            out[name] = value
    return out


def _components(page, data: dict[str, Any]) -> list[Component] | None:
    ids = f.id_list(data, "component_ids", None)
    if ids is None:
        return None
    components = list(Component.objects.filter(public_id__in=ids, page=page))
    unknown = sorted(set(ids) - {c.public_id for c in components})
    if unknown:
        raise ApiError.field("component_ids", "Unknown component ids: " + ", ".join(unknown[:10]))
    return components


def _one(audience: Audience, status: int = 200) -> HttpResponse:
    fresh = Audience.objects.prefetch_related("components").get(pk=audience.pk)
    return json_response(audience_dict(fresh), status=status)


@api_view(GET=Scope.READ, POST=Scope.COMPONENTS)
def audience_list(request: ApiRequest) -> HttpResponse:
    page = page_of(request)
    if request.method == "GET":
        rows = Audience.objects.filter(page=page).prefetch_related("components")
        return json_response(
            [audience_dict(a) for a in paginate(request, rows, limit_param="per_page")]
        )
    data = read(request, AUDIENCE)
    fields = _fields(data)
    for name in ("name", "slug"):
        if not str(fields.get(name) or "").strip():
            raise ApiError.field(name, f"An audience needs a {name}.")
    audience = services.audience_save(
        actor=request.api_actor, page=page, components=_components(page, data), **fields
    )
    return _one(audience, status=201)


@api_view(GET=Scope.READ, PATCH=Scope.COMPONENTS, PUT=Scope.COMPONENTS, DELETE=Scope.COMPONENTS)
def audience_detail(request: ApiRequest, audience_id: str) -> HttpResponse:
    page = page_of(request)
    audience = Audience.objects.get(public_id=audience_id, page=page)
    if request.method == "GET":
        return _one(audience)
    if request.method == "DELETE":
        services.audience_delete(actor=request.api_actor, audience=audience)
        return no_content()
    data = read(request, AUDIENCE)
    audience = services.audience_save(
        actor=request.api_actor,
        audience=audience,
        components=_components(page, data),
        **_fields(data),
    )
    return _one(audience)


_BODY = json_body("audience", "AudienceInput")
_TAGS = ["audiences"]
OPENAPI_PATHS = {
    "/pages/{page_id}/audiences": {
        "get": {
            "summary": "List audiences (an extension: who sees which components of an "
            "audience-specific page)",
            "tags": _TAGS,
            "parameters": [query("page", "integer"), query("per_page", "integer", maximum=100)],
            "responses": {"200": ok(array_of("Audience")), **ERRORS},
        },
        "post": {
            "summary": "Create an audience",
            "description": "A signed-in reader belongs to the first audience (by position) "
            "whose rules match: an address in `emails`, an address at one of `domains`, the "
            "OpenID Connect claim `claim_name` equal to (or, for a list, containing) "
            "`claim_value`, or an identity in `members`.",
            "tags": _TAGS,
            "requestBody": _BODY,
            "responses": {"201": ok(ref("Audience")), **ERRORS},
        },
    },
    "/pages/{page_id}/audiences/{audience_id}": {
        "parameters": [path_id("audience_id")],
        "get": {
            "summary": "Get an audience",
            "tags": _TAGS,
            "responses": {"200": ok(ref("Audience")), **ERRORS},
        },
        "patch": {
            "summary": "Update an audience (fields left out keep their values)",
            "tags": _TAGS,
            "requestBody": _BODY,
            "responses": {"200": ok(ref("Audience")), **ERRORS},
        },
        "put": {
            "summary": "Update an audience (same as PATCH)",
            "tags": _TAGS,
            "requestBody": _BODY,
            "responses": {"200": ok(ref("Audience")), **ERRORS},
        },
        "delete": {
            "summary": "Delete an audience (its readers and subscribers then belong to none)",
            "tags": _TAGS,
            "responses": {"204": {"description": "Deleted"}, **ERRORS},
        },
    },
}

_STR = {"type": "string"}
_STRS = {"type": "array", "items": {"type": "string"}}
OPENAPI_SCHEMAS = {
    "Audience": {
        "type": "object",
        "properties": {
            "id": _STR,
            "name": _STR,
            "slug": _STR,
            "position": {"type": "integer"},
            "component_ids": _STRS,
            "emails": _STRS,
            "domains": _STRS,
            "claim_name": _STR,
            "claim_value": _STR,
            "members": _STRS,
        },
    },
    "AudienceInput": {
        "type": "object",
        "properties": {
            "name": {"type": "string", "maxLength": 120},
            "slug": {"type": "string", "maxLength": 50, "pattern": "^[-a-zA-Z0-9_]+$"},
            "position": {"type": "integer", "minimum": 0, "maximum": 1000000},
            "component_ids": _STRS,
            "emails": _STRS,
            "domains": _STRS,
            "claim_name": {"type": "string", "maxLength": 64},
            "claim_value": {"type": "string", "maxLength": 200},
            "members": _STRS,
        },
    },
}
