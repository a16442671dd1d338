"""POST /api/v1/integrations/component-status with Grafana's webhook contact point payload
(unified alerting: Alertmanager's notification plus orgId, title, state, message): components
named by an alert label or the contact point URL, statuses, recovery, incidents, bad input."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from django.test import Client

from incidents.enums import ChangeSource
from incidents.models import AuditEntry, Component, ComponentStatusChange, Incident
from statuspage.access.models import Role

pytestmark = pytest.mark.django_db

URL = "/api/v1/integrations/component-status"
PAYLOADS = Path(__file__).parent / "grafana_payloads"


def default_firing() -> dict:
    """Grafana's webhook body as its documentation shows it (two firing alerts, no label
    this app knows)."""
    return json.loads((PAYLOADS / "default_firing.json").read_text())


def resolved(payload: dict) -> dict:
    out = copy.deepcopy(payload)
    out["status"] = "resolved"
    out["state"] = "ok"
    for alert in out["alerts"]:
        alert["status"] = "resolved"
        alert["endsAt"] = "2026-11-18T12:30:00+01:00"
    return out


def labelled(payload: dict, *labels: dict) -> dict:
    out = copy.deepcopy(payload)
    for alert, extra in zip(out["alerts"], labels, strict=True):
        alert["labels"].update(extra)
    return out


@pytest.fixture
def grafana(make_key):
    """Posts as Grafana does with the contact point's "Authorization header" set to a key:
    `Authorization: Bearer <key>`, a JSON body."""
    key = make_key(Role.RESPONDER)
    client = Client()

    def post(data: dict, query: str = ""):
        return client.post(
            URL + query,
            json.dumps(data),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {key}",
        )

    return post


def status_of(component) -> str:
    return Component.objects.get(pk=component.pk).status


def test_the_default_payload_is_accepted_and_changes_nothing_without_a_mapping(grafana, api):
    response = grafana(default_firing())
    assert response.status_code == 200, response.content
    assert response.json() == {"matched": 0, "unmatched": 2, "changes": []}
    assert status_of(api) == "operational"


def test_the_contact_point_url_names_the_component(grafana, api):
    response = grafana(default_firing(), f"?component={api.public_id}")
    assert response.status_code == 200, response.content
    assert response.json() == {
        "matched": 1,
        "unmatched": 0,
        "changes": [
            {
                "component": api.public_id,
                "action": "component_status",
                "old_status": "operational",
                "new_status": "major_outage",
            }
        ],
    }
    assert status_of(api) == "major_outage"
    assert ComponentStatusChange.objects.get(component=api).source == ChangeSource.AUTOMATION
    entry = AuditEntry.objects.get(action="component.status", object_id=api.public_id)
    assert entry.via == "automation"
    # Repeats (Grafana re-sends every repeat interval) change nothing.
    assert grafana(default_firing(), f"?component={api.public_id}").json()["changes"] == []
    # The resolution of the group brings the component back.
    response = grafana(resolved(default_firing()), "?component=API&status=partial_outage")
    assert response.json()["changes"][0]["new_status"] == "operational"
    assert status_of(api) == "operational"


def test_labels_name_components_and_statuses_and_the_worst_firing_wins(grafana, api, web):
    payload = labelled(
        default_firing(),
        {"component": "API", "component_status": "degraded_performance"},
        {"component": web.public_id, "component_status": "partial_outage"},
    )
    assert grafana(payload).status_code == 200
    assert (status_of(api), status_of(web)) == ("degraded_performance", "partial_outage")
    # Both alerts on one component: the worse one decides; a resolved one does not lower it.
    payload = labelled(
        default_firing(),
        {"component": "API", "component_status": "degraded_performance"},
        {"component": "API", "component_status": "major_outage"},
    )
    payload["alerts"][0]["status"] = "resolved"
    assert grafana(payload).json()["matched"] == 1
    assert status_of(api) == "major_outage"


def test_an_incident_is_opened_while_it_fires_and_resolved_with_the_alerts(grafana, api):
    payload = labelled(default_firing(), {"component": "API"}, {"component": "API"})
    response = grafana(payload, "?incident=1")
    assert response.status_code == 200, response.content
    incident = Incident.objects.get()
    assert incident.name == "This alert was triggered for zone us-1"
    assert incident.status == "investigating" and status_of(api) == "major_outage"
    assert grafana(payload, "?incident=1").json()["changes"] == []
    response = grafana(resolved(payload), "?incident=1")
    assert [c["action"] for c in response.json()["changes"]] == ["incident_resolved"]
    incident.refresh_from_db()
    assert incident.status == "resolved" and status_of(api) == "operational"


def test_grafanas_test_notification_changes_nothing(grafana, api):
    payload = default_firing()
    payload["alerts"] = [payload["alerts"][0]]
    payload["alerts"][0]["labels"] = {"alertname": "TestAlert", "instance": "Grafana"}
    payload["alerts"][0]["annotations"] = {"summary": "Notification test"}
    response = grafana(payload, "?component=API")
    assert response.json() == {"matched": 0, "unmatched": 1, "changes": []}
    assert status_of(api) == "operational"


@pytest.mark.parametrize(
    ("labels", "query", "status", "field"),
    [
        ({"component": "Nope"}, "", 404, "alerts[1].labels.component"),
        ({}, "?component=Nope", 404, "component"),
        ({"component": "API", "component_status": "on_fire"}, "", 422, None),
        ({"component": "API", "component_status": "operational"}, "", 422, None),
        ({}, "?component=API&status=under_maintenance", 422, "status"),
    ],
)
def test_bad_mappings_are_refused_and_nothing_is_kept(grafana, api, labels, query, status, field):
    # The first alert is fine; the second is refused: the notification is all or nothing.
    payload = labelled(default_firing(), {"component": "API"}, labels)
    response = grafana(payload, query)
    assert response.status_code == status, response.content
    errors = response.json()["errors"]
    if field is None:
        assert "alerts[1].labels.component_status" in errors
    else:
        assert field in errors
    assert status_of(api) == "operational"
    assert not ComponentStatusChange.objects.exists()


def test_malformed_alerts_get_the_alertmanager_checks(grafana, api):
    payload = labelled(default_firing(), {"component": "API"}, {"component": "API"})
    payload["alerts"][1]["status"] = "pending"
    response = grafana(payload)
    assert response.status_code == 422
    assert "alerts[1].status" in response.json()["errors"]
    assert status_of(api) == "operational"


def test_a_viewer_key_is_refused(make_key, api):
    response = Client().post(
        URL + "?component=API",
        json.dumps(default_firing()),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {make_key(Role.VIEWER)}",
    )
    assert response.status_code == 403
    assert status_of(api) == "operational"


def test_a_refused_report_leaves_no_other_component_changed(api, web):
    """One notification is one transaction: the service refuses the second report (monitoring
    cannot start maintenance), so the first one's change is not kept either."""
    from incidents.services import Actor, ServiceError
    from statuspage.automation.services import ComponentReport, component_reports_apply

    reports = [
        ComponentReport(component=api, status="major_outage"),
        ComponentReport(component=web, status="under_maintenance"),
    ]
    with pytest.raises(ServiceError):
        component_reports_apply(
            reports=reports, unmatched=0, actor=Actor(label="grafana", via="automation")
        )
    assert (status_of(api), status_of(web)) == ("operational", "operational")
    assert not ComponentStatusChange.objects.exists()
