"""Hooks for monitoring systems: Alertmanager's webhook receiver and a generic component hook.

Both need the incidents:write scope and act as "automation" in the audit trail and the status
log. These views only parse and check the request (every field before anything is written),
call statuspage.automation, and answer with what changed; the rules of what an alert does
live there.
"""

from __future__ import annotations

import re
from datetime import datetime

from django.http import HttpResponse, QueryDict

from incidents.enums import ComponentStatus, worst_component_status
from incidents.models import Component
from incidents.services import Actor
from statuspage.access.models import Scope
from statuspage.api.v1.http import ApiError, ApiRequest, api_view, json_response
from statuspage.automation.alerts import Alert, fingerprint_for
from statuspage.automation.selectors import components_named
from statuspage.automation.services import (
    ComponentReport,
    alerts_apply,
    component_hook_apply,
    component_reports_apply,
)

MAX_ALERTS = 1000
MAX_LABELS = 100
MAX_LABEL_VALUE = 2000
MAX_ANNOTATION_VALUE = 10000
# Go writes nanoseconds; Python reads at most microseconds.
_FRACTION = re.compile(r"(\.\d{6})\d+")
HOOK_STATUSES = [s for s in ComponentStatus.values if s != ComponentStatus.UNDER_MAINTENANCE]
# What a firing alert may report (a resolved one reports operational).
FAILING_STATUSES = [s for s in HOOK_STATUSES if s != ComponentStatus.OPERATIONAL]
# The labels of the alert Grafana sends when an operator presses "Test" on a contact point.
GRAFANA_TEST_LABELS = {"alertname": "TestAlert", "instance": "Grafana"}


def _automation_actor(request: ApiRequest, source: str) -> Actor:
    key = request.api_key
    return Actor(
        label=f"{source} (key {key.prefix})", via="automation", user_id=request.api_key.owner_id
    )


# --- Alertmanager --------------------------------------------------------------------------


@api_view(POST=Scope.INCIDENTS)
def alertmanager(request: ApiRequest) -> HttpResponse:
    alerts, group_key = parse_alertmanager(request.api_body)
    outcome = alerts_apply(
        alerts=alerts, group_key=group_key, actor=_automation_actor(request, "alertmanager")
    )
    return json_response(outcome.as_dict())


def parse_alertmanager(data: dict) -> tuple[list[Alert], str]:
    """Check an Alertmanager webhook body (version 4) and return its alerts and group key."""
    if "alerts" not in data:
        raise ApiError(400, "This is not an Alertmanager notification: 'alerts' is missing.")
    raw_alerts = data["alerts"]
    if not isinstance(raw_alerts, list):
        raise ApiError.field("alerts", "'alerts' must be a list.", status=400)
    if len(raw_alerts) > MAX_ALERTS:
        raise ApiError.field("alerts", f"At most {MAX_ALERTS} alerts per notification.")
    version = data.get("version", "4")
    if not isinstance(version, str):
        raise ApiError.field("version", "'version' must be a string.")
    group_key = data.get("groupKey")
    if group_key is None:
        group_labels = _string_map(data.get("groupLabels") or {}, "groupLabels", MAX_LABEL_VALUE)
        group_key = repr(sorted(group_labels.items()))
    elif not isinstance(group_key, str) or len(group_key) > 10000:
        raise ApiError.field("groupKey", "'groupKey' must be a string.")
    alerts = [_parse_alert(item, f"alerts[{index}]") for index, item in enumerate(raw_alerts)]
    return alerts, group_key


def _parse_alert(item, where: str) -> Alert:
    if not isinstance(item, dict):
        raise ApiError.field(where, f"{where} must be an object.")
    status = item.get("status")
    if status not in ("firing", "resolved"):
        raise ApiError.field(
            f"{where}.status", f"{where}.status must be 'firing' or 'resolved', not {status!r:.40}."
        )
    if not item.get("labels"):
        raise ApiError.field(f"{where}.labels", f"{where}.labels is missing or empty.")
    labels = _string_map(item["labels"], f"{where}.labels", MAX_LABEL_VALUE)
    annotations = _string_map(
        item.get("annotations") or {}, f"{where}.annotations", MAX_ANNOTATION_VALUE
    )
    fingerprint = item.get("fingerprint") or fingerprint_for(labels)
    if not isinstance(fingerprint, str) or len(fingerprint) > 64 or fingerprint.startswith("hook:"):
        raise ApiError.field(f"{where}.fingerprint", f"{where}.fingerprint is not valid.")
    generator = item.get("generatorURL") or ""
    if not isinstance(generator, str):
        raise ApiError.field(f"{where}.generatorURL", f"{where}.generatorURL must be a string.")
    return Alert(
        fingerprint=fingerprint,
        status=status,
        labels=labels,
        annotations=annotations,
        starts_at=_timestamp(item.get("startsAt"), f"{where}.startsAt"),
        generator_url=generator[:2000],
    )


def _string_map(value, where: str, max_value: int) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ApiError.field(where, f"{where} must be an object of names to text.")
    if len(value) > MAX_LABELS:
        raise ApiError.field(where, f"{where} has more than {MAX_LABELS} entries.")
    for name, text in value.items():
        # Alertmanager 0.28 allows any UTF-8 label name; only empty or huge names are refused.
        if not 0 < len(name) <= 200:
            raise ApiError.field(where, f"{where} has an invalid name {name[:60]!r}.")
        if not isinstance(text, str):
            raise ApiError.field(where, f"{where}.{name[:60]} must be text.")
        if len(text) > max_value:
            raise ApiError.field(where, f"{where}.{name[:60]} is too long.")
    return dict(value)


def _timestamp(value, where: str) -> datetime | None:
    if value in (None, "") or (isinstance(value, str) and value.startswith("0001-01-01")):
        return None  # Go's zero time: not set
    if not isinstance(value, str) or len(value) > 64:
        raise ApiError.field(where, f"{where} must be an RFC 3339 time.")
    try:
        moment = datetime.fromisoformat(_FRACTION.sub(r"\1", value))
    except ValueError:
        raise ApiError.field(where, f"{where} must be an RFC 3339 time.") from None
    if moment.tzinfo is None:
        raise ApiError.field(where, f"{where} must carry its time zone.")
    return moment


# --- generic component hook ----------------------------------------------------------------


@api_view(POST=Scope.INCIDENTS)
def component_status(request: ApiRequest) -> HttpResponse:
    if _is_alert_notification(request.api_body):
        reports, unmatched = parse_alert_notification(request.api_body, request.GET)
        outcome = component_reports_apply(
            reports=reports, unmatched=unmatched, actor=_automation_actor(request, "monitor")
        )
        return json_response(outcome.as_dict())
    component, status, incident = parse_component_hook(request.api_body)
    if component is None:
        return json_response({"matched": 0, "unmatched": 1, "changes": []})
    outcome = component_hook_apply(
        component=component,
        status=status,
        incident=incident,
        actor=_automation_actor(request, "monitor"),
    )
    return json_response(outcome.as_dict())


def parse_component_hook(data: dict) -> tuple[Component | None, str, dict | None]:
    """Read `{"component", "status", "incident"?}` (flat, or the fields wrapped in
    "component" Statuspage-style), or an Uptime Kuma notification."""
    if "heartbeat" in data and "monitor" in data:
        return _uptime_kuma(data)
    fields = data
    if isinstance(data.get("component"), dict):
        fields = dict(data["component"])
        fields["component"] = fields.pop("id", None) or fields.pop("name", None)
        fields.setdefault("incident", data.get("incident"))
    ref = fields.get("component")
    if not isinstance(ref, str) or not ref.strip():
        raise ApiError.field("component", "Name the component by its id or exact name.")
    status = fields.get("status")
    if status not in HOOK_STATUSES:
        raise ApiError.field("status", "status must be one of: " + ", ".join(HOOK_STATUSES) + ".")
    incident = fields.get("incident")
    if incident in (None, "", {}):
        incident = None
    elif not isinstance(incident, dict):
        raise ApiError.field("incident", "incident must be an object with name and body.")
    else:
        for name in ("name", "body"):
            value = incident.get(name, "")
            if not isinstance(value, str) or len(value) > (200 if name == "name" else 20000):
                raise ApiError.field(f"incident.{name}", f"incident.{name} must be short text.")
        incident = {"name": incident.get("name", "").strip(), "body": incident.get("body", "")}
    return _component(ref.strip()), status, incident


def _component(ref: str, field: str = "component") -> Component:
    found = components_named(ref)
    if not found:
        raise ApiError.field(field, f"No component with id or name {ref[:80]!r}.", status=404)
    if len(found) > 1:
        raise ApiError.field(field, f"Several components are named {ref[:80]!r}: use the id.")
    return found[0]


def _uptime_kuma(data: dict) -> tuple[Component | None, str, None]:
    """Uptime Kuma's webhook: heartbeat.status 0 (down) or 1 (up); monitor.name names the
    component. Its "test" notification (no heartbeat) and pending/maintenance beats do nothing."""
    heartbeat, monitor = data.get("heartbeat"), data.get("monitor")
    if heartbeat is None or monitor is None:
        return None, "", None
    if not isinstance(heartbeat, dict) or not isinstance(monitor, dict):
        raise ApiError(422, "heartbeat and monitor must be objects.")
    name = monitor.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ApiError.field("monitor.name", "monitor.name must name a component.")
    beat = heartbeat.get("status")
    if beat not in (0, 1) or isinstance(beat, bool):
        return None, "", None
    status = ComponentStatus.MAJOR_OUTAGE if beat == 0 else ComponentStatus.OPERATIONAL
    return _component(name.strip()), status, None


# Grafana's webhook contact point ------------------------------------------------------------


def _is_alert_notification(data: dict) -> bool:
    """Grafana's webhook contact point (unified alerting) posts Alertmanager's notification
    shape plus `orgId`, `title`, `state`, `message`: a list of `alerts` and a `receiver`."""
    return isinstance(data.get("alerts"), list) and "receiver" in data


def parse_alert_notification(data: dict, query: QueryDict) -> tuple[list[ComponentReport], int]:
    """Map a Grafana (or Alertmanager) notification to component reports.

    Each alert names its component by the label `component` (id or exact name), else the
    contact point URL's `?component=`; an alert naming none is counted as unmatched. A firing
    alert reports the label `component_status`, else `?status=`, else major_outage; a resolved
    one reports operational. Per component the worst firing alert wins, else operational, so a
    notification grouped by `component` states each component's current status. `?incident=1`
    asks for an incident while a component fails, named after the alert's summary. Grafana's
    test notification changes nothing."""
    alerts, _group_key = parse_alertmanager(data)
    default_ref = (query.get("component") or "").strip()
    default_status = query.get("status") or ComponentStatus.MAJOR_OUTAGE
    if default_status not in FAILING_STATUSES:
        raise ApiError.field(
            "status", "?status= must be one of: " + ", ".join(FAILING_STATUSES) + "."
        )
    wants_incident = (query.get("incident") or "").lower() in ("1", "true", "yes")
    firing: dict[int, list[str]] = {}
    components: dict[int, Component] = {}
    incidents: dict[int, dict] = {}
    unmatched = 0
    for index, alert in enumerate(alerts):
        where = f"alerts[{index}].labels"
        ref = (alert.labels.get("component") or default_ref).strip()
        if not ref or alert.labels == GRAFANA_TEST_LABELS:
            unmatched += 1
            continue
        # A bad label is named as such; a bad ?component= as the field "component".
        field = f"{where}.component" if alert.labels.get("component") else "component"
        component = _component(ref, field=field)
        status = alert.labels.get("component_status") or default_status
        if status not in FAILING_STATUSES:
            raise ApiError.field(
                f"{where}.component_status",
                f"{where}.component_status must be one of: " + ", ".join(FAILING_STATUSES) + ".",
            )
        components.setdefault(component.pk, component)
        statuses = firing.setdefault(component.pk, [])
        if alert.status == "firing":
            statuses.append(status)
            if wants_incident:
                incidents.setdefault(component.pk, _incident_from(alert.labels, alert.annotations))
    reports = [
        ComponentReport(
            component=component,
            status=worst_component_status(firing[pk]).value,
            incident=incidents.get(pk),
        )
        for pk, component in components.items()
    ]
    return reports, unmatched


def _incident_from(labels: dict[str, str], annotations: dict[str, str]) -> dict:
    name = annotations.get("summary") or labels.get("alertname") or ""
    body = annotations.get("description") or annotations.get("summary") or ""
    return {"name": name.strip()[:200], "body": body[:20000]}


# --- OpenAPI -------------------------------------------------------------------------------

_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}
_SUMMARY = {
    "type": "object",
    "required": ["matched", "unmatched", "changes"],
    "properties": {
        "matched": {"type": "integer", "description": "Alerts a route (or a known alert) took."},
        "unmatched": {"type": "integer", "description": "Alerts no route matched (ignored)."},
        "changes": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "action": {
                        "type": "string",
                        "enum": [
                            "component_status",
                            "incident_opened",
                            "incident_updated",
                            "incident_resolved",
                        ],
                    },
                    "alert": {"type": "string"},
                    "fingerprint": {"type": "string"},
                    "route": {"type": "string"},
                    "component": {"type": "string"},
                    "old_status": {"type": "string"},
                    "new_status": {"type": "string"},
                    "incident": {"type": "string"},
                },
            },
        },
    },
}
_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {"type": "string"},
        "errors": {"type": "object", "additionalProperties": {"type": "array"}},
    },
}


def _responses(ok: str) -> dict:
    error = {"content": {"application/json": {"schema": _ERROR}}}
    return {
        "200": {
            "description": ok,
            "content": {"application/json": {"schema": _SUMMARY}},
        },
        "400": {"description": "Not JSON, not an object, or the wrong shape.", **error},
        "401": {"description": "No or an invalid API key.", **error},
        "403": {"description": "The key lacks incidents:write.", **error},
        "404": {"description": "No such component.", **error},
        "413": {"description": "The body is too large.", **error},
        "422": {"description": "A field is invalid (the message names it).", **error},
        "429": {"description": "Rate limit exceeded.", **error},
    }


OPENAPI_PATHS = {
    "/integrations/alertmanager": {
        "post": {
            "operationId": "postAlertmanagerWebhook",
            "tags": ["Integrations"],
            "summary": "Alertmanager webhook receiver",
            "description": (
                "Point an Alertmanager `webhook_configs` receiver here. Alert routes (dashboard, "
                "Automation) decide which components each alert drives and whether it opens an "
                "incident. Repeats change nothing; every request is one transaction."
            ),
            "security": [{"oauth_header": []}, {"api_key_query": []}],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["alerts"],
                            "properties": {
                                "version": {"type": "string", "example": "4"},
                                "groupKey": {"type": "string"},
                                "truncatedAlerts": {"type": "integer"},
                                "status": {"type": "string", "enum": ["firing", "resolved"]},
                                "receiver": {"type": "string"},
                                "groupLabels": _STRING_MAP,
                                "commonLabels": _STRING_MAP,
                                "commonAnnotations": _STRING_MAP,
                                "externalURL": {"type": "string"},
                                "alerts": {
                                    "type": "array",
                                    "maxItems": MAX_ALERTS,
                                    "items": {
                                        "type": "object",
                                        "required": ["status", "labels"],
                                        "properties": {
                                            "status": {
                                                "type": "string",
                                                "enum": ["firing", "resolved"],
                                            },
                                            "labels": _STRING_MAP,
                                            "annotations": _STRING_MAP,
                                            "startsAt": {"type": "string", "format": "date-time"},
                                            "endsAt": {"type": "string", "format": "date-time"},
                                            "generatorURL": {"type": "string"},
                                            "fingerprint": {"type": "string", "maxLength": 64},
                                        },
                                    },
                                },
                            },
                        }
                    }
                },
            },
            "responses": _responses("What the notification changed."),
        }
    },
    "/integrations/component-status": {
        "post": {
            "operationId": "postComponentStatusHook",
            "tags": ["Integrations"],
            "summary": "Set a component's status from any monitor",
            "description": (
                "Flat fields (or wrapped in `component`), JSON or form-encoded. With `incident`, "
                "an outage opens one incident (once) and `operational` resolves it. An Uptime "
                "Kuma webhook body is accepted as is (monitor name = component name), and so is "
                "Grafana's webhook contact point body (alerts name their component by the label "
                "`component` or the URL's `?component=`; status by the label `component_status`, "
                "`?status=`, else major_outage; resolved alerts report operational)."
            ),
            "parameters": [
                {
                    "name": "component",
                    "in": "query",
                    "required": False,
                    "description": "Grafana: the component of alerts without a `component` label.",
                    "schema": {"type": "string"},
                },
                {
                    "name": "status",
                    "in": "query",
                    "required": False,
                    "description": "Grafana: the status of firing alerts without a "
                    "`component_status` label (default major_outage).",
                    "schema": {"type": "string", "enum": FAILING_STATUSES},
                },
                {
                    "name": "incident",
                    "in": "query",
                    "required": False,
                    "description": "Grafana: `1` opens an incident while a component fails.",
                    "schema": {"type": "string", "enum": ["1", "true", "yes"]},
                },
            ],
            "security": [{"oauth_header": []}, {"api_key_query": []}],
            "requestBody": {
                "required": True,
                "content": {
                    media: {
                        "schema": {
                            "type": "object",
                            "required": ["component", "status"],
                            "properties": {
                                "component": {
                                    "type": "string",
                                    "description": "The component's id or exact name.",
                                },
                                "status": {"type": "string", "enum": HOOK_STATUSES},
                                "incident": {
                                    "type": "object",
                                    "properties": {
                                        "name": {"type": "string", "maxLength": 200},
                                        "body": {"type": "string"},
                                    },
                                },
                            },
                        }
                    }
                    for media in ("application/json", "application/x-www-form-urlencoded")
                },
            },
            "responses": _responses("What the call changed."),
        }
    },
}
