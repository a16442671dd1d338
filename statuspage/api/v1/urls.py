"""/api/v1/ routes. Every resource lives under pages/<page_id>/, as in Statuspage's API.

Atlassian's API description writes every path with a `.json` suffix (`incidents/{id}.json`), and
clients follow it: every route answers with and without it, for every method. Ids never hold a
dot, so `<id:...>` leaves the suffix to the route.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path, re_path, register_converter

from statuspage.api.v1 import (
    audiences,
    components,
    groups,
    incidents,
    integrations,
    metrics,
    monitors,
    openapi,
    pages,
    subscribers,
    templates,
    unsupported,
    uptime_report,
)
from statuspage.api.v1.http import ApiError, error_response


class IdConverter:
    """A path segment without a dot (ids are base36; the view's checks refuse the rest)."""

    regex = r"[^/.]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(IdConverter, "id")
PAGE = "pages/<id:page_id>/"


def not_found(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    return error_response(ApiError(404, "No such endpoint."))


def route(pattern: str, view: Callable[..., HttpResponse], name: str) -> list[URLPattern]:
    """`pattern` and `pattern.json`, both to `view` (the suffixed one named `<name>-json`)."""
    return [path(pattern, view, name=name), path(pattern + ".json", view, name=name + "-json")]


_UNSUPPORTED = [
    re_path(
        rf"^{part}(?:\.json)?$",
        unsupported.not_implemented(feature, reason),
        name=f"api-v1-not-implemented-{index}",
    )
    for index, (part, feature, reason) in enumerate(unsupported.FEATURES)
]

# (path under /api/v1/, view, URL name): each answers as written and with `.json`.
ROUTES = [
    ("pages", pages.page_list, "api-v1-pages"),
    ("pages/<id:page_id>", pages.page_detail, "api-v1-page"),
    ("integrations/alertmanager", integrations.alertmanager, "api-v1-integrations-alertmanager"),
    (
        "integrations/component-status",
        integrations.component_status,
        "api-v1-integrations-component-status",
    ),
    (PAGE + "components", components.component_list, "api-v1-components"),
    (PAGE + "components/<id:component_id>", components.component_detail, "api-v1-component"),
    (
        PAGE + "components/<id:component_id>/uptime",
        components.component_uptime,
        "api-v1-component-uptime",
    ),
    (PAGE + "component-groups", groups.group_list, "api-v1-groups"),
    (PAGE + "component-groups/<id:group_id>", groups.group_detail, "api-v1-group"),
    (PAGE + "incidents", incidents.incident_list, "api-v1-incidents"),
    (PAGE + "incidents/unresolved", incidents.incident_unresolved, "api-v1-incidents-unresolved"),
    (PAGE + "incidents/upcoming", incidents.incident_upcoming, "api-v1-incidents-upcoming"),
    (PAGE + "incidents/scheduled", incidents.incident_scheduled, "api-v1-incidents-scheduled"),
    (
        PAGE + "incidents/active_maintenance",
        incidents.incident_active_maintenance,
        "api-v1-incidents-active-maintenance",
    ),
    (PAGE + "incidents/<id:incident_id>", incidents.incident_detail, "api-v1-incident"),
    (
        PAGE + "incidents/<id:incident_id>/incident_updates/<id:update_id>",
        incidents.incident_update_detail,
        "api-v1-incident-update",
    ),
    (PAGE + "incident_templates", templates.template_list, "api-v1-templates"),
    (PAGE + "audiences", audiences.audience_list, "api-v1-audiences"),
    (PAGE + "audiences/<id:audience_id>", audiences.audience_detail, "api-v1-audience"),
    (PAGE + "uptime-report", uptime_report.uptime_report_view, "api-v1-uptime-report"),
    (PAGE + "monitors", monitors.monitor_list, "api-v1-monitors"),
    (PAGE + "monitors/<id:monitor_id>", monitors.monitor_detail, "api-v1-monitor"),
    (PAGE + "metrics_providers", metrics.provider_list, "api-v1-metrics-providers"),
    (
        PAGE + "metrics_providers/<id:metrics_provider_id>",
        metrics.provider_detail,
        "api-v1-metrics-provider",
    ),
    (
        PAGE + "metrics_providers/<id:metrics_provider_id>/metrics",
        metrics.provider_metrics,
        "api-v1-metrics-provider-metrics",
    ),
    (PAGE + "metrics", metrics.metric_list, "api-v1-metrics"),
    # Before metrics/<id>: `data` is not a metric id.
    (PAGE + "metrics/data", metrics.metrics_data_bulk, "api-v1-metrics-data"),
    (PAGE + "metrics/<id:metric_id>", metrics.metric_detail, "api-v1-metric"),
    (PAGE + "metrics/<id:metric_id>/data", metrics.metric_data, "api-v1-metric-data"),
    (PAGE + "subscribers", subscribers.subscriber_list, "api-v1-subscribers"),
    (PAGE + "subscribers/count", subscribers.subscriber_count, "api-v1-subscribers-count"),
    (PAGE + "subscribers/<id:subscriber_id>", subscribers.subscriber_detail, "api-v1-subscriber"),
    (
        PAGE + "subscribers/<id:subscriber_id>/resend_confirmation",
        subscribers.subscriber_resend,
        "api-v1-subscriber-resend",
    ),
]

urlpatterns = [
    path("openapi.json", openapi.openapi_json, name="api-v1-openapi"),
    # Before the routes: `subscribers/unsubscribe` would otherwise read as a subscriber id.
    *_UNSUPPORTED,
    *(pattern for spec in ROUTES for pattern in route(*spec)),
    re_path(r"^.*$", not_found, name="api-v1-not-found"),
]
