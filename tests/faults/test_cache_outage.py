"""The cache's Redis is down, or the install's single Redis (queues and cache) is stopped: real
Redis clients pointed at a closed port. Rate limits fail open, so API writes, the integrations
and sign-in (dashboard and admin) keep working; everything a write does is written, its
deliveries wait in the outbox for the relay; sign-in guessing stays bounded by the per-process
counts; /readyz says "degraded" and names the check. Runs on every setup: it needs no server."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from incidents.models import AuditEntry, Component, ComponentStatusChange, Incident, IncidentUpdate
from notifications.models import Delivery, DeliveryState, Event
from statuspage.access.models import Role
from statuspage.automation.models import AlertState
from tests.api.v1.conftest import make_key, page_url, v1  # noqa: F401
from tests.api.v1.test_alertmanager import URL as ALERTMANAGER_URL
from tests.api.v1.test_alertmanager import payload, route  # noqa: F401
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


@pytest.fixture
def redis_is_down(request) -> bool:
    return request.node.callspec.params["outage"] == "single redis stopped"


@pytest.fixture(params=["cache down", "single redis stopped"])
def outage(request):
    """Each test runs with the cache's Redis down, then with the single Redis stopped."""
    if request.param == "cache down":
        return request.getfixturevalue("unreachable_cache")
    return request.getfixturevalue("redis_down")


def test_an_api_write_commits_and_its_deliveries_wait_for_the_relay(
    outage,
    v1,  # noqa: F811
    page_url,  # noqa: F811
    api,
    email_subscribers,
    django_capture_on_commit_callbacks,
    redis_is_down,
):
    subscribers = email_subscribers(2)
    client = v1(Role.RESPONDER)
    with django_capture_on_commit_callbacks(execute=True):
        response = _post_incident(client, page_url, api)
    assert response.status_code == 201, response.content
    assert Incident.objects.count() == 1
    deliveries = Delivery.objects.all()
    assert deliveries.count() == subscribers
    if redis_is_down:  # nothing could be enqueued: the relay will find the rows
        assert set(deliveries.values_list("state", flat=True)) == {DeliveryState.PENDING}


def test_an_alert_is_applied_while_redis_is_down(
    outage,
    v1,  # noqa: F811
    api,
    route,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    route([api])
    with django_capture_on_commit_callbacks(execute=True):
        response = v1(Role.RESPONDER).post(ALERTMANAGER_URL, payload("grouped_firing"))
    assert response.status_code == 200, response.content
    assert Component.objects.get(pk=api.pk).status != "operational"
    assert AlertState.objects.filter(status="firing").exists()


def test_sign_in_works_while_redis_is_down(outage, viewer):  # noqa: F811
    client = Client()
    assert _sign_in(client, "vera", PASSWORD).status_code == 302
    assert client.get("/dashboard/").status_code == 200


def test_readyz_stays_in_rotation_and_names_what_is_down(outage, client, redis_is_down):
    body = client.get("/readyz")
    assert body.status_code == 200
    checks = body.json()["checks"]
    assert body.json()["status"] == "degraded"
    assert checks["database"] == "ok"
    assert checks["cache"].startswith("unreachable")
    if redis_is_down:
        assert checks["redis"] == "unreachable"
    else:
        assert checks["redis"] in ("ok", "not configured")


def test_the_uptime_bars_count_every_day_while_the_cache_is_down(
    unreachable_cache, client, settings, tmp_path, api, caplog
):
    """The finished-day cache is an optimisation: without it every day is counted again."""
    from datetime import timedelta

    from django.utils import timezone

    from incidents import services
    from statuspage import public_cache

    settings.PUBLIC_SNAPSHOT_DIR = tmp_path / "snapshots"
    actor = services.Actor(label="alice", via="dashboard")
    # Noon yesterday (the page's zone is UTC): the two hours stay within one day whatever the
    # time of day the test runs at.
    yesterday = (timezone.now() - timedelta(days=1)).replace(
        hour=12, minute=0, second=0, microsecond=0
    )
    services.component_status_set(
        component=api, status="partial_outage", actor=actor, at=yesterday - timedelta(hours=2)
    )
    services.component_status_set(component=api, status="operational", actor=actor, at=yesterday)
    public_cache.local.clear()
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('<li class="l') + html.count('<li class="nodata"') >= 90
    assert f"{yesterday.strftime('%b %-d, %Y')}: partial outage 2 h" in html
    assert "finished-day cache unavailable" in caplog.text
    assert client.get("/uptime").status_code == 200
