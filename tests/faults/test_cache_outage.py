"""The cache's Redis is down (a real Redis client pointed at a closed port): rate limits fail
open, so API writes and sign-in (dashboard and admin) keep working, everything a write does is
written, and sign-in guessing stays bounded by the per-process counts. Runs on every setup: it
needs no server."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from incidents.models import AuditEntry, ComponentStatusChange, Incident, IncidentUpdate
from notifications.models import Delivery, Event
from statuspage.access.models import Role
from tests.api.v1.conftest import make_key, page_url, v1  # noqa: F401
from tests.dashboard.conftest import PASSWORD, viewer  # noqa: F401

pytestmark = pytest.mark.django_db


def _post_incident(client, page_url, api):  # noqa: F811
    return client.post(
        page_url("incidents"),
        {
            "incident": {
                "name": "Checkout errors",
                "status": "investigating",
                "body": "Looking into it.",
                "components": {api.public_id: "major_outage"},
            }
        },
    )


def test_an_api_write_succeeds_whole_while_the_cache_is_down(
    unreachable_cache,
    v1,  # noqa: F811
    page_url,  # noqa: F811
    api,
    email_subscribers,
    django_capture_on_commit_callbacks,
):
    subscribers = email_subscribers(3)
    client = v1(Role.RESPONDER)
    with django_capture_on_commit_callbacks(execute=True):
        response = _post_incident(client, page_url, api)
    assert response.status_code == 201, response.content
    assert response["Content-Type"] == "application/json"
    # Everything the write does, and once: the incident, its first update, the component's
    # change and its log row, the audit entry, the event and one delivery per subscriber.
    incident = Incident.objects.get()
    assert incident.public_id == response.json()["id"]
    assert IncidentUpdate.objects.filter(incident=incident).count() == 1
    api.refresh_from_db()
    assert api.status == "major_outage"
    assert (
        ComponentStatusChange.objects.filter(component=api, new_status="major_outage").count() == 1
    )
    assert AuditEntry.objects.filter(action="incident.create").count() == 1
    assert Event.objects.count() == 1
    assert Delivery.objects.count() == subscribers


def test_the_api_limit_still_holds_per_process_and_a_refusal_writes_nothing(
    unreachable_cache,
    settings,
    v1,  # noqa: F811
    page_url,  # noqa: F811
    api,
):
    settings.API_RATE_LIMIT_PER_MINUTE = 1
    client = v1(Role.RESPONDER)
    assert _post_incident(client, page_url, api).status_code == 201
    audit_entries = AuditEntry.objects.count()
    refused = _post_incident(client, page_url, api)
    assert refused.status_code == 429
    assert "Rate limit" in refused.json()["error"]
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert Incident.objects.count() == 1
    assert AuditEntry.objects.count() == audit_entries


def _sign_in(client, username, password, path="/dashboard/login/", ip="10.4.4.4"):
    return client.post(path, {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_dashboard_sign_in_works_while_the_cache_is_down(unreachable_cache, viewer):  # noqa: F811
    client = Client()
    response = _sign_in(client, "vera", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/"
    assert client.get("/dashboard/").status_code == 200


def test_admin_sign_in_works_while_the_cache_is_down(unreachable_cache, django_user_model):
    django_user_model.objects.create_superuser("root", "root@example.com", PASSWORD)
    client = Client()
    response = _sign_in(client, "root", PASSWORD, path="/admin/login/")
    assert response.status_code == 302
    assert client.get("/admin/incidents/incident/").status_code == 200


def test_sign_in_guessing_stays_bounded_while_the_cache_is_down(
    unreachable_cache,
    viewer,  # noqa: F811
):
    # Failures at the admin's sign-in and the dashboard's count together, outage or not.
    for n in range(5):
        path = "/admin/login/" if n % 2 else "/dashboard/login/"
        assert _sign_in(Client(), "vera", "wrong", path=path, ip=f"10.5.5.{n}").status_code == 200
    for path in ("/dashboard/login/", "/admin/login/"):
        response = _sign_in(Client(), "vera", PASSWORD, path=path, ip="10.5.6.1")
        assert b"Too many failed sign-in attempts" in response.content
    assert Session.objects.count() == 0  # no session was started for anyone
