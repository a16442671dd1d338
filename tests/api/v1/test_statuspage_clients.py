"""Exactly the HTTP that Statuspage clients in use send, and what each call must leave behind.

- a Python client built on a mapping table (form-encoded, every path with `.json`, PATCH of an
  incident with `incident[message]`, `incident[wants_twitter_update]`, `incident[component_ids][]`;
  PATCH of a component with `component[status]`);
- a browser client (XMLHttpRequest, form-encoded POST to `incidents.json` with
  `incident[message]` and `incident[component_ids][]`);
- a PowerShell script scheduling maintenance with `incident[scheduled_for]` built from
  `DateTime.ToString("o")` and not URL-encoded (its `+01:00` arrives as ` 01:00`).
"""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from incidents.models import Incident, IncidentUpdate, Maintenance
from notifications.models import Delivery
from statuspage.access.models import Role

pytestmark = pytest.mark.django_db
FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def http(make_key):
    """A client that sends what the scripts send: the OAuth header, and no CSRF token."""
    key = make_key(Role.ADMIN)
    client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"OAuth {key}")
    return client


def test_python_mapping_client_updates_an_incident_with_its_message(http, objects):
    base = f"/api/v1/pages/{objects['page_id']}"
    listed = http.get(f"{base}/components.json")
    assert listed.status_code == 200
    assert objects["component_id"] in {row["id"] for row in listed.json()}
    body = (
        "incident%5Bstatus%5D=monitoring&incident%5Bmessage%5D=A+fix+is+rolling+out."
        "&incident%5Bwants_twitter_update%5D=f"
        f"&incident%5Bcomponent_ids%5D%5B%5D={objects['component_id']}"
    )
    response = http.patch(f"{base}/incidents/{objects['incident_id']}.json", body, FORM)
    assert response.status_code == 200, response.content
    latest = response.json()["incident_updates"][0]
    assert (latest["status"], latest["body"]) == ("monitoring", "A fix is rolling out.")
    stored = IncidentUpdate.objects.filter(incident__public_id=objects["incident_id"]).first()
    assert stored is not None and stored.body == "A fix is rolling out."


def test_python_mapping_client_sets_a_component_status(http, objects):
    base = f"/api/v1/pages/{objects['page_id']}"
    response = http.patch(
        f"{base}/components/{objects['spare']}.json",
        "component%5Bstatus%5D=degraded_performance",
        FORM,
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "degraded_performance"
    fetched = http.get(f"{base}/components/{objects['spare']}.json").json()
    assert fetched["status"] == "degraded_performance"


def test_browser_client_declares_an_incident_with_its_message(http, objects):
    params = (
        "incident[name]=Checkout%20errors&incident[message]=Payments%20fail%20for%20some."
        "&incident[status]=investigating&incident[impact_override]=major"
        f"&incident[component_ids][]={objects['component_id']}"
    )
    response = http.post(f"/api/v1/pages/{objects['page_id']}/incidents.json", params, FORM)
    assert response.status_code == 201, response.content
    created = Incident.objects.get(public_id=response.json()["id"])
    assert created.updates.get().body == "Payments fail for some."
    assert created.impact_override == "major"
    assert [c.public_id for c in created.components.all()] == [objects["component_id"]]


def test_powershell_script_schedules_maintenance_with_an_unencoded_offset(http, objects):
    start = timezone.now().astimezone(UTC) + timedelta(days=3)
    local = start.astimezone(timezone.get_fixed_timezone(60))
    # DateTime.ToString("o"): seven fractional digits and the offset, sent without encoding.
    stamp = local.strftime("%Y-%m-%dT%H:%M:%S.0000000+01:00")
    until = (local + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S.0000000+01:00")
    body = (
        f"incident[name]=Upgrade&incident[status]=scheduled&incident[scheduled_for]={stamp}"
        f"&incident[scheduled_until]={until}&incident[message]=Planned work."
        f"&incident[component_ids][]={objects['component_id']}"
    )
    response = http.post(f"/api/v1/pages/{objects['page_id']}/incidents.json", body, FORM)
    assert response.status_code == 201, response.content
    window = Maintenance.objects.get(public_id=response.json()["id"])
    assert window.scheduled_for == start.replace(microsecond=0)
    assert window.updates.get().body == "Planned work."


def test_message_in_a_json_body_is_the_first_update(v1, page_url, objects):
    response = v1().post(
        page_url("incidents"), {"incident": {"name": "X", "message": "Exactly these words."}}
    )
    assert response.status_code == 201, response.content
    assert response.json()["incident_updates"][0]["body"] == "Exactly these words."


def test_message_and_a_different_body_is_a_422(v1, page_url, objects):
    response = v1().post(
        page_url("incidents"), {"incident": {"name": "X", "message": "a", "body": "b"}}
    )
    assert response.status_code == 422
    assert "message" in response.json()["errors"]
    assert not Incident.objects.filter(name="X").exists()


@pytest.mark.parametrize("form", [False, True])
def test_unknown_fields_are_a_422_naming_them_and_nothing_is_written(v1, page_url, objects, form):
    before = Incident.objects.count()
    response = v1().post(
        page_url("incidents.json"),
        {"incident": {"name": "X", "mesage": "typo", "colour": "red"}}
        if not form
        else "incident[name]=X&incident[mesage]=typo&incident[colour]=red",
        form=form,
    )
    assert response.status_code == 422
    data = response.json()
    assert set(data["errors"]) == {"mesage", "colour"}
    assert "incident[mesage]" in data["error"] and "incident[colour]" in data["error"]
    assert Incident.objects.count() == before


def test_unknown_field_beside_the_wrapper_is_a_422(v1, page_url, objects):
    response = v1().post(page_url("components"), {"component": {"name": "C"}, "extra": 1})
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"extra"}


@pytest.mark.parametrize(
    ("resource", "path", "payload"),
    [
        ("component", "components", {"name": "C", "automation_email": "x@example.test"}),
        ("component_group", "component-groups", {"name": "G2", "position": 3}),
        ("subscriber", "subscribers", {"email": "a@example.test", "mode": "sms"}),
        ("template", "incident_templates", {"name": "T", "title": "t", "body": "b", "x": 1}),
    ],
)
def test_every_resource_refuses_unknown_fields(v1, page_url, objects, resource, path, payload):
    response = v1().post(page_url(path), {resource: payload})
    assert response.status_code == 422, response.content
    unknown = set(payload) - {"name", "title", "body", "email"}
    assert set(response.json()["errors"]) == unknown


def test_twitter_fields_are_accepted_and_ignored(v1, page_url, objects):
    response = v1().post(
        page_url("incidents"),
        {"incident": {"name": "T", "body": "b", "wants_twitter_update": "t"}},
    )
    assert response.status_code == 201, response.content


def test_a_documented_field_asking_for_what_we_do_not_do_is_a_422(v1, page_url, objects):
    start = timezone.now() + timedelta(days=1)
    response = v1().post(
        page_url("incidents"),
        {
            "incident": {
                "name": "Refused window",
                "scheduled_for": start.isoformat(),
                "scheduled_until": (start + timedelta(hours=1)).isoformat(),
                "auto_transition_deliver_notifications_at_start": False,
            }
        },
    )
    assert response.status_code == 422
    assert "auto_transition_deliver_notifications_at_start" in response.json()["errors"]
    assert not Maintenance.objects.filter(name="Refused window").exists()


def test_scheduled_auto_transition_sets_both_automatic_transitions(v1, page_url, objects):
    start = timezone.now() + timedelta(days=1)
    response = v1().post(
        page_url("incidents"),
        {
            "incident": {
                "name": "Both",
                "scheduled_for": start.isoformat(),
                "scheduled_until": (start + timedelta(hours=1)).isoformat(),
                "scheduled_auto_transition": "f",
            }
        },
    )
    assert response.status_code == 201, response.content
    window = Maintenance.objects.get(public_id=response.json()["id"])
    assert (window.auto_start, window.auto_complete) == (False, False)


def test_page_access_user_on_a_subscriber_is_refused(v1, page_url, objects):
    response = v1().post(
        page_url("subscribers"),
        {"subscriber": {"email": "p@example.test", "page_access_user": "pau1"}},
    )
    assert response.status_code == 422
    assert "page_access_user" in response.json()["errors"]


def test_deliver_notifications_false_in_a_form_writes_no_delivery(http, objects):
    body = (
        "incident[name]=Quiet&incident[message]=No+mail.&incident[deliver_notifications]=false"
        f"&incident[components][{objects['component_id']}]=major_outage"
    )
    response = http.post(f"/api/v1/pages/{objects['page_id']}/incidents.json", body, FORM)
    assert response.status_code == 201, response.content
    assert Delivery.objects.count() == 0


def test_patch_subscriber_sets_its_components(v1, page_url, objects):
    response = v1().patch(
        page_url(f"subscribers/{objects['subscriber_id']}.json"),
        {"component_ids": [objects["component_id"]]},
    )
    assert response.status_code == 200, response.content
    assert [c["id"] for c in response.json()["components"]] == [objects["component_id"]]
    missing = v1().patch(page_url(f"subscribers/{objects['subscriber_id']}"), {})
    assert missing.status_code == 422


@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete"])
@pytest.mark.parametrize(
    "path", ["metrics_providers", "metrics.json", "metrics/abc/data", "metrics/abc/data.json"]
)
def test_metrics_routes_ask_for_a_key_in_json(objects, method, path):
    """The metrics API is built (tests/api/v1/test_metrics.py): without a key it answers
    like every v1 route, a JSON 401, never the old "not implemented"."""
    url = f"/api/v1/pages/{objects['page_id']}/{path}"
    response = getattr(Client(enforce_csrf_checks=True), method)(url)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
