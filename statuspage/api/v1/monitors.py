"""/pages/{page_id}/monitors (+ /{monitor_id}): the built-in monitors (our extension to
Statuspage's API), wrapped like its resources: `{"monitor": {"name", "kind", "url" or
"host"/"port", "component_id", "interval_seconds", ...}}`. The monitors app validates (one
statement for the API and the dashboard); its refusals are 422s naming the field."""

from __future__ import annotations

from typing import cast

from django.conf import settings
from django.http import HttpResponse
from django.urls import reverse

from incidents import selectors as incident_selectors
from statuspage.access.models import Scope
from statuspage.api.v1.http import (
    ApiRequest,
    api_view,
    component_on_page,
    json_response,
    no_content,
    page_of,
    paginate,
)
from statuspage.api.v1.openapi_parts import ERRORS, array_of, json_body, ok, path_id, query, ref
from statuspage.api.v1.resources import MONITOR, read
from statuspage.monitors import selectors, services
from statuspage.monitors.models import FailureStatus, Kind, Monitor, RecordType, Verdict
from statuspage.monitors.regions import home_region


def monitor_dict(monitor: Monitor) -> dict:
    data = {
        "id": monitor.public_id,
        "name": monitor.name,
        "kind": monitor.kind,
        "component_id": monitor.component.public_id,
        "enabled": monitor.enabled,
        "url": monitor.url or None,
        "host": monitor.host or None,
        "port": monitor.port,
        "dns_resolver": monitor.dns_resolver,
        "dns_record_type": monitor.dns_record_type,
        "interval_seconds": monitor.interval_seconds,
        "timeout_seconds": monitor.timeout_seconds,
        "method": monitor.method,
        "headers": monitor.headers,
        "expected_statuses": monitor.expected_statuses,
        "keyword": monitor.keyword,
        "json_path": monitor.json_path,
        "json_expected": monitor.json_expected,
        "latency_threshold_ms": monitor.latency_threshold_ms,
        "tls_expiry_warning_days": monitor.tls_expiry_warning_days,
        "grace_seconds": monitor.grace_seconds,
        "failures_before_down": monitor.failures_before_down,
        "successes_before_up": monitor.successes_before_up,
        "failure_status": monitor.failure_status,
        "open_incident": monitor.open_incident,
        "incident_template_id": (
            str(monitor.incident_template_id) if monitor.incident_template_id else None
        ),
        "regions": monitor.regions or [home_region()],
        "regions_required": monitor.regions_required,
        "verdict": monitor.verdict,
        "heartbeat_url": None,
        "last_ping_at": monitor.last_ping_at.isoformat() if monitor.last_ping_at else None,
        "created_at": monitor.created_at.isoformat(),
        "updated_at": monitor.updated_at.isoformat(),
    }
    if monitor.kind == Kind.HEARTBEAT:
        # Relative to the page's public address: where cron jobs reach this install.
        path = reverse("monitors-heartbeat", args=[monitor.heartbeat_token])
        data["heartbeat_url"] = _public_base(cast(int, monitor.component.page_id)) + path
    return data


def _public_base(page_id: int) -> str:
    return (incident_selectors.page_get(page_id).url or settings.PUBLIC_URL_DEFAULT).rstrip("/")


def _one(monitor: Monitor, status: int = 200) -> HttpResponse:
    fresh = selectors.monitor_by_pk(monitor.pk)
    assert fresh is not None
    return json_response(monitor_dict(fresh), status=status)


@api_view(GET=Scope.READ, POST=Scope.COMPONENTS)
def monitor_list(request: ApiRequest) -> HttpResponse:
    page = page_of(request)
    if request.method == "POST":
        data = component_on_page(page, read(request, MONITOR))
        monitor = services.monitor_save(actor=request.api_actor, monitor=None, data=data)
        return _one(monitor, status=201)
    monitors = selectors.monitors().filter(component__page=page)
    rows = paginate(request, monitors, limit_param="per_page")
    return json_response([monitor_dict(m) for m in rows])


@api_view(GET=Scope.READ, PATCH=Scope.COMPONENTS, PUT=Scope.COMPONENTS, DELETE=Scope.COMPONENTS)
def monitor_detail(request: ApiRequest, monitor_id: str) -> HttpResponse:
    page = page_of(request)
    monitor = Monitor.objects.select_related("component").get(
        public_id=monitor_id, component__page=page
    )
    if request.method == "GET":
        return _one(monitor)
    if request.method == "DELETE":
        services.monitor_delete(actor=request.api_actor, monitor=monitor)
        return no_content()
    data = component_on_page(page, read(request, MONITOR))
    monitor = services.monitor_save(actor=request.api_actor, monitor=monitor, data=data)
    return _one(monitor)


_BODY = json_body("monitor", "MonitorInput")
_TAGS = ["monitors"]
OPENAPI_PATHS = {
    "/pages/{page_id}/monitors": {
        "get": {
            "summary": "List monitors (an extension: built-in checks that drive components)",
            "tags": _TAGS,
            "parameters": [query("page", "integer"), query("per_page", "integer", maximum=100)],
            "responses": {"200": ok(array_of("Monitor")), **ERRORS},
        },
        "post": {
            "summary": "Create a monitor",
            "description": "An http monitor needs `url`; tcp needs `host` and `port`; dns "
            "needs `host` (and may name `dns_resolver`, `dns_record_type` and, in `keyword`, "
            "a value one record must hold); a heartbeat monitor gets a secret `heartbeat_url` "
            "to call.",
            "tags": _TAGS,
            "requestBody": _BODY,
            "responses": {"201": ok(ref("Monitor")), **ERRORS},
        },
    },
    "/pages/{page_id}/monitors/{monitor_id}": {
        "parameters": [path_id("monitor_id")],
        "get": {
            "summary": "Get a monitor",
            "tags": _TAGS,
            "responses": {"200": ok(ref("Monitor")), **ERRORS},
        },
        "patch": {
            "summary": "Update a monitor (fields left out keep their values)",
            "tags": _TAGS,
            "requestBody": _BODY,
            "responses": {"200": ok(ref("Monitor")), **ERRORS},
        },
        "put": {
            "summary": "Update a monitor (same as PATCH)",
            "tags": _TAGS,
            "requestBody": _BODY,
            "responses": {"200": ok(ref("Monitor")), **ERRORS},
        },
        "delete": {
            "summary": "Delete a monitor and its results (the component keeps its status)",
            "tags": _TAGS,
            "responses": {"204": {"description": "Deleted"}, **ERRORS},
        },
    },
}

_STR = {"type": "string"}
_STR_NULL = {"type": ["string", "null"]}
_INT = {"type": "integer"}
_INT_NULL = {"type": ["integer", "null"]}
_BOOL = {"type": "boolean"}
_KIND = {"enum": list(Kind.values)}
_FAILURE = {"enum": list(FailureStatus.values)}
_RECORD_TYPE = {"enum": list(RecordType.values)}
_HEADERS = {"type": "object", "additionalProperties": _STR}
_CODES = {"type": "array", "items": {"type": "integer", "minimum": 100, "maximum": 599}}
_REGIONS = {"type": "array", "items": _STR}
_TS = {"type": "string", "format": "date-time"}

OPENAPI_SCHEMAS = {
    "Monitor": {
        "type": "object",
        "properties": {
            "id": _STR,
            "name": _STR,
            "kind": _KIND,
            "component_id": _STR,
            "enabled": _BOOL,
            "url": _STR_NULL,
            "host": _STR_NULL,
            "port": _INT_NULL,
            "dns_resolver": _STR,
            "dns_record_type": _RECORD_TYPE,
            "interval_seconds": _INT,
            "timeout_seconds": _INT,
            "method": _STR,
            "headers": _HEADERS,
            "expected_statuses": _CODES,
            "keyword": _STR,
            "json_path": _STR,
            "json_expected": _STR,
            "latency_threshold_ms": _INT_NULL,
            "tls_expiry_warning_days": _INT_NULL,
            "grace_seconds": _INT,
            "failures_before_down": _INT,
            "successes_before_up": _INT,
            "failure_status": _FAILURE,
            "open_incident": _BOOL,
            "incident_template_id": _STR_NULL,
            "regions": _REGIONS,
            "regions_required": _INT,
            "verdict": {"enum": list(Verdict.values)},
            "heartbeat_url": _STR_NULL,
            "last_ping_at": {"type": ["string", "null"], "format": "date-time"},
            "created_at": _TS,
            "updated_at": _TS,
        },
    },
    "MonitorInput": {
        "type": "object",
        "properties": {
            "name": {"type": "string", "maxLength": 100},
            "kind": _KIND,
            "component_id": _STR,
            "enabled": _BOOL,
            "url": {"type": "string", "maxLength": 2000},
            "host": {"type": "string", "maxLength": 253},
            "port": {"type": ["integer", "null"], "minimum": 1, "maximum": 65535},
            "dns_resolver": {
                "type": "string",
                "maxLength": 260,
                "description": "dns: the resolver to ask, host or host:port ([v6]:port); "
                "empty: the system resolver. Its address passes the same guard as targets.",
            },
            "dns_record_type": _RECORD_TYPE,
            "interval_seconds": {"type": "integer", "minimum": 20, "maximum": 86400},
            "timeout_seconds": {"type": "integer", "minimum": 1, "maximum": 60},
            "method": {"enum": ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]},
            "headers": _HEADERS,
            "expected_statuses": _CODES,
            "keyword": {"type": "string", "maxLength": 200},
            "json_path": {"type": "string", "maxLength": 200},
            "json_expected": {"type": "string", "maxLength": 200},
            "latency_threshold_ms": {"type": ["integer", "null"], "minimum": 1},
            "tls_expiry_warning_days": {"type": ["integer", "null"], "minimum": 1, "maximum": 365},
            "grace_seconds": {"type": "integer", "minimum": 0, "maximum": 86400},
            "failures_before_down": {"type": "integer", "minimum": 1, "maximum": 100},
            "successes_before_up": {"type": "integer", "minimum": 1, "maximum": 100},
            "failure_status": _FAILURE,
            "open_incident": _BOOL,
            "incident_template_id": {"type": ["string", "integer", "null"]},
            "regions": _REGIONS,
            "regions_required": {"type": "integer", "minimum": 1, "maximum": 20},
        },
    },
}
