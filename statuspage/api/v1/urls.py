"""/api/v1/ routes. Every resource lives under pages/<page_id>/, as in Statuspage's API."""

from django.http import HttpRequest, HttpResponse
from django.urls import path, re_path

from statuspage.api.v1 import (
    components,
    groups,
    incidents,
    integrations,
    openapi,
    pages,
    subscribers,
    templates,
)
from statuspage.api.v1.http import ApiError, error_response

PAGE = "pages/<str:page_id>/"


def not_found(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    return error_response(ApiError(404, "No such endpoint."))


urlpatterns = [
    path("openapi.json", openapi.openapi_json, name="api-v1-openapi"),
    path("pages", pages.page_list, name="api-v1-pages"),
    path("pages/<str:page_id>", pages.page_detail, name="api-v1-page"),
    path(
        "integrations/alertmanager",
        integrations.alertmanager,
        name="api-v1-integrations-alertmanager",
    ),
    path(
        "integrations/component-status",
        integrations.component_status,
        name="api-v1-integrations-component-status",
    ),
    path(PAGE + "components", components.component_list, name="api-v1-components"),
    path(
        PAGE + "components/<str:component_id>",
        components.component_detail,
        name="api-v1-component",
    ),
    path(
        PAGE + "components/<str:component_id>/uptime",
        components.component_uptime,
        name="api-v1-component-uptime",
    ),
    path(PAGE + "component-groups", groups.group_list, name="api-v1-groups"),
    path(PAGE + "component-groups/<str:group_id>", groups.group_detail, name="api-v1-group"),
    path(PAGE + "incidents", incidents.incident_list, name="api-v1-incidents"),
    path(
        PAGE + "incidents/unresolved",
        incidents.incident_unresolved,
        name="api-v1-incidents-unresolved",
    ),
    path(
        PAGE + "incidents/upcoming", incidents.incident_upcoming, name="api-v1-incidents-upcoming"
    ),
    path(
        PAGE + "incidents/scheduled",
        incidents.incident_scheduled,
        name="api-v1-incidents-scheduled",
    ),
    path(
        PAGE + "incidents/active_maintenance",
        incidents.incident_active_maintenance,
        name="api-v1-incidents-active-maintenance",
    ),
    path(PAGE + "incidents/<str:incident_id>", incidents.incident_detail, name="api-v1-incident"),
    path(
        PAGE + "incidents/<str:incident_id>/incident_updates/<str:update_id>",
        incidents.incident_update_detail,
        name="api-v1-incident-update",
    ),
    path(PAGE + "incident_templates", templates.template_list, name="api-v1-templates"),
    path(PAGE + "subscribers", subscribers.subscriber_list, name="api-v1-subscribers"),
    path(PAGE + "subscribers/count", subscribers.subscriber_count, name="api-v1-subscribers-count"),
    path(
        PAGE + "subscribers/<str:subscriber_id>",
        subscribers.subscriber_detail,
        name="api-v1-subscriber",
    ),
    path(
        PAGE + "subscribers/<str:subscriber_id>/resend_confirmation",
        subscribers.subscriber_resend,
        name="api-v1-subscriber-resend",
    ),
    re_path(r"^.*$", not_found, name="api-v1-not-found"),
]
