"""/pages/{page_id}/incident_templates: list and create, mapped onto the domain's incident
templates (title and body are sandboxed Jinja2 templates, checked when saved)."""

from __future__ import annotations

from django.http import HttpResponse

from incidents import selectors, services
from incidents.enums import OPEN_INCIDENT_STATUSES
from incidents.models import Component, IncidentTemplate
from statuspage.access.models import Scope
from statuspage.api.v1 import fields as f
from statuspage.api.v1 import serializers as ser
from statuspage.api.v1.http import (
    ApiError,
    ApiRequest,
    api_view,
    json_response,
    page_of,
    paginate,
)
from statuspage.api.v1.openapi_parts import ERRORS, array_of, json_body, ok, query, ref
from statuspage.api.v1.resources import TEMPLATE, read


def template_dict(ctx: ser.Context, template: IncidentTemplate) -> dict:
    return {
        "id": str(template.pk),
        "name": template.name,
        "title": template.title,
        "body": template.body,
        "group_id": None,
        "update_status": template.status,
        "should_tweet": False,
        "should_send_notifications": True,
        "components": [
            ctx.by_id[c.public_id] for c in template.components.all() if c.public_id in ctx.by_id
        ],
        "created_at": ctx.ts(template.created_at),
        "updated_at": ctx.ts(template.updated_at),
    }


def _required(data: dict, name: str, max_length: int | None) -> str:
    value = f.text(data, name, max_length=max_length, default="")
    if not value.strip():
        raise ApiError.field(name, f"A template needs a {name}.")
    return value.strip()


@api_view(GET=Scope.READ, POST=Scope.COMPONENTS)
def template_list(request: ApiRequest) -> HttpResponse:
    page = page_of(request)
    ctx = ser.Context(page)
    if request.method == "GET":
        templates = selectors.incident_templates(page)
        return json_response(
            [template_dict(ctx, t) for t in paginate(request, templates, limit_param="per_page")]
        )
    data = read(request, TEMPLATE)
    name = _required(data, "name", 120)
    if selectors.incident_template_name_taken(name, page=page):
        raise ApiError.field("name", "A template with that name exists.")
    if data.get("group_id") not in (None, ""):
        raise ApiError.field("group_id", "Template groups are not supported; leave group_id out.")
    status = f.text(data, "update_status", default="investigating") or "investigating"
    if status not in OPEN_INCIDENT_STATUSES:
        raise ApiError.field(
            "update_status", "update_status must be one of: " + ", ".join(OPEN_INCIDENT_STATUSES)
        )
    ids = f.id_list(data, "component_ids", [])
    components = list(Component.objects.filter(public_id__in=ids, page=page))
    unknown = sorted(set(ids) - {c.public_id for c in components})
    if unknown:
        raise ApiError.field("component_ids", "Unknown component ids: " + ", ".join(unknown[:10]))
    template = services.incident_template_save(
        actor=request.api_actor,
        components=components,
        name=name,
        title=_required(data, "title", 200),
        body=_required(data, "body", 50_000),
        status=status,
        page=page,
    )
    return json_response(template_dict(ctx, template), status=201)


_TAGS = ["incident_templates"]
OPENAPI_PATHS = {
    "/pages/{page_id}/incident_templates": {
        "get": {
            "summary": "List incident templates",
            "tags": _TAGS,
            "parameters": [query("page", "integer"), query("per_page", "integer", maximum=100)],
            "responses": {"200": ok(array_of("IncidentTemplate")), **ERRORS},
        },
        "post": {
            "summary": "Create an incident template (title and body must render)",
            "tags": _TAGS,
            "requestBody": json_body("template", "IncidentTemplateInput"),
            "responses": {"201": ok(ref("IncidentTemplate")), **ERRORS},
        },
    }
}
