"""POST /api/v1/integrations/component-status: a generic hook for monitors (flat or wrapped,
JSON or form), optional incidents, Uptime Kuma's webhook, and bad input."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from django.test import Client

from incidents import services
from incidents.enums import ChangeSource
from incidents.models import AuditEntry, Component, ComponentStatusChange, Incident, Page
from notifications.models import Delivery
from statuspage.access.models import Role
from statuspage.automation.models import AlertState

pytestmark = pytest.mark.django_db

URL = "/api/v1/integrations/component-status"


@pytest.fixture
def hook(v1):
    client = v1(Role.RESPONDER)

    def post(data, **kwargs):
        return client.post(URL, data, **kwargs)

    return post


def status_of(component) -> str:
    return Component.objects.get(pk=component.pk).status


def test_viewer_key_is_refused(v1, api):
    response = v1(Role.VIEWER).post(URL, {"component": "API", "status": "major_outage"})
    assert response.status_code == 403
    assert status_of(api) == "operational"


@pytest.mark.parametrize("by", ["name", "public_id"])
def test_flat_json_sets_the_status_as_automation(hook, api, by):
    ref = api.name if by == "name" else api.public_id
    response = hook({"component": ref, "status": "partial_outage"})
    assert response.status_code == 200, response.content
    assert response.json()["changes"] == [
        {
            "component": api.public_id,
            "action": "component_status",
            "old_status": "operational",
            "new_status": "partial_outage",
        }
    ]
    assert status_of(api) == "partial_outage"
    assert ComponentStatusChange.objects.get(component=api).source == ChangeSource.AUTOMATION
    entry = AuditEntry.objects.get(action="component.status", object_id=api.public_id)
    assert entry.via == "automation" and entry.actor.startswith("monitor (key ")


def test_wrapped_and_form_encoded_bodies_work(hook, api, web):
    assert hook({"component": {"id": api.public_id, "status": "major_outage"}}).status_code == 200
    assert status_of(api) == "major_outage"
    response = hook(urlencode({"component": "Web", "status": "degraded_performance"}), form=True)
    assert response.status_code == 200, response.content
    assert status_of(web) == "degraded_performance"
    response = hook("component%5Bname%5D=Web&component%5Bstatus%5D=operational", form=True)
    assert response.status_code == 200, response.content
    assert status_of(web) == "operational"


def test_repeating_the_same_status_changes_nothing(hook, api):
    hook({"component": "API", "status": "major_outage"})
    audit = AuditEntry.objects.count()
    assert hook({"component": "API", "status": "major_outage"}).json()["changes"] == []
    assert AuditEntry.objects.count() == audit


def test_incident_opened_once_and_resolved_by_operational(hook, api, web, operator):
    services.incident_create(
        name="Other", body="x", component_statuses={api: "degraded_performance"}, actor=operator
    )
    body = {
        "component": "API",
        "status": "major_outage",
        "incident": {"name": "API unreachable", "body": "Uptime check failing."},
    }
    first = hook(body).json()
    assert [c["action"] for c in first["changes"]] == ["incident_opened"]
    incident = Incident.objects.get(name="API unreachable")
    assert status_of(api) == "major_outage"
    assert hook(body).json()["changes"] == []
    assert incident.updates.count() == 1

    lower = hook(body | {"status": "partial_outage"}).json()
    assert [c["action"] for c in lower["changes"]] == ["incident_updated"]
    assert status_of(api) == "partial_outage"

    done = hook({"component": "API", "status": "operational"}).json()
    assert [c["action"] for c in done["changes"]] == ["incident_resolved"]
    incident.refresh_from_db()
    assert incident.status == "resolved"
    assert status_of(api) == "degraded_performance"  # the other incident still holds it


def test_operator_resolution_is_not_undone_by_repeats(hook, api, operator):
    body = {"component": "API", "status": "major_outage", "incident": {"name": "API down"}}
    hook(body)
    incident = Incident.objects.get()
    services.incident_resolve(incident=incident, body="Handled.", actor=operator)
    assert hook(body).json()["changes"] == []
    assert status_of(api) == "operational"
    assert Incident.objects.count() == 1
    hook({"component": "API", "status": "operational"})
    again = hook(body).json()
    assert [c["action"] for c in again["changes"]] == ["incident_opened"]
    assert Incident.objects.count() == 2
    assert AlertState.objects.get().status == "firing"


def test_uptime_kuma_down_and_up(hook, api):
    kuma = {
        "heartbeat": {"monitorID": 3, "status": 0, "msg": "timeout", "time": "2026-11-22 01:00:00"},
        "monitor": {"id": 3, "name": "API", "type": "http", "url": "https://api.example.com"},
        "msg": "[API] [🔴 Down] timeout",
    }
    assert hook(kuma).status_code == 200
    assert status_of(api) == "major_outage"
    kuma["heartbeat"]["status"] = 1
    hook(kuma)
    assert status_of(api) == "operational"


@pytest.mark.parametrize(
    "kuma",
    [
        {"heartbeat": None, "monitor": None, "msg": "Test notification"},
        {"heartbeat": {"status": 2}, "monitor": {"name": "API"}, "msg": "pending"},
    ],
    ids=["test notification", "pending"],
)
def test_uptime_kuma_test_and_pending_beats_do_nothing(hook, api, kuma):
    response = hook(kuma)
    assert response.status_code == 200
    assert response.json()["changes"] == []
    assert status_of(api) == "operational"


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({}, 422, "component"),
        ({"status": "major_outage"}, 422, "component"),
        ({"component": "API"}, 422, "status must be one of"),
        ({"component": "API", "status": "on fire"}, 422, "status must be one of"),
        ({"component": "API", "status": "under_maintenance"}, 422, "status must be one of"),
        ({"component": ["API"], "status": "major_outage"}, 422, "component"),
        ({"component": "Nope", "status": "major_outage"}, 404, "No component"),
        ({"component": "API", "status": "major_outage", "incident": "x"}, 422, "incident"),
        (
            {"component": "API", "status": "major_outage", "incident": {"name": {"a": 1}}},
            422,
            "incident.name",
        ),
        ({"heartbeat": [], "monitor": {}}, 422, "objects"),
        ({"heartbeat": {"status": 0}, "monitor": {"name": 7}}, 422, "monitor.name"),
    ],
)
def test_bad_bodies_are_clear_errors_and_change_nothing(hook, api, body, status, words):
    response = hook(body)
    assert response.status_code == status, response.content
    assert words in json.dumps(response.json())
    assert status_of(api) == "operational"
    assert not Incident.objects.exists()
    assert not AlertState.objects.exists()


def test_ambiguous_names_must_use_the_id(hook, make_component, api):
    make_component("API")
    response = hook({"component": "API", "status": "major_outage"})
    assert response.status_code == 422
    assert "use the id" in response.json()["error"]
    assert hook({"component": api.public_id, "status": "major_outage"}).status_code == 200


def test_non_json_body_is_400(make_key, api):
    raw = make_key(Role.RESPONDER)
    response = Client().post(
        URL, b"component=API&", content_type="application/json", HTTP_AUTHORIZATION=f"OAuth {raw}"
    )
    assert response.status_code == 400
    assert status_of(api) == "operational"


def test_a_status_set_by_the_hook_notifies_only_when_the_page_says_so(
    hook, api, component_subscribers
):
    assert hook({"component": api.name, "status": "partial_outage"}).status_code == 200
    assert not Delivery.objects.exists()  # the page setting is off
    Page.objects.update(notify_component_changes=True)
    assert hook({"component": api.name, "status": "major_outage"}).status_code == 200
    assert list(Delivery.objects.values_list("subscriber__address", flat=True)) == ["api@x.test"]
