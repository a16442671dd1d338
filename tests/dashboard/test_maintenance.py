"""Maintenance from the dashboard: schedule in the page's time zone, reschedule, start, update,
complete early, cancel."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from incidents import services
from incidents.models import Maintenance
from notifications.models import Delivery, Event


@pytest.fixture
def berlin(page):
    page.time_zone = "Europe/Berlin"
    page.save()
    return page


def _schedule(client, api, **extra):
    data = {
        "name": "DB upgrade",
        "scheduled_for": "2030-07-01T22:00",
        "scheduled_until": "2030-07-01T23:30",
        "components": [api.pk],
        "body": "",
        "auto_start": "on",
        "remind_before_minutes": "60",
        "notify": "on",
    }
    data.update(extra)
    return client.post("/dashboard/maintenance/new/", data)


def test_window_is_read_in_the_page_time_zone(responder_client, api, berlin):
    response = _schedule(responder_client, api)
    maintenance = Maintenance.objects.get()
    assert response["Location"] == f"/dashboard/maintenance/{maintenance.public_id}/"
    # 22:00 in Berlin (summer time, UTC+2) is 20:00 UTC.
    assert maintenance.scheduled_for == datetime(2030, 7, 1, 20, 0, tzinfo=UTC)
    assert maintenance.auto_start and not maintenance.auto_complete
    assert maintenance.remind_before_minutes == 60
    assert list(maintenance.components.all()) == [api]
    detail = responder_client.get(response["Location"]).content.decode()
    assert "2030-07-01 22:00 CEST" in detail


def test_scheduling_with_notify_notifies_the_window_s_subscribers(
    responder_client, api, make_subscriber
):
    make_subscriber(address="api@example.test", components=[api])
    _schedule(responder_client, api)
    event = Event.objects.get()
    assert event.kind == "maintenance.scheduled"
    assert Delivery.objects.filter(event=event).count() == 1


def test_scheduling_with_notify_off_writes_no_event_and_no_delivery(
    responder_client, api, make_subscriber
):
    make_subscriber(address="api@example.test", components=[api])
    response = _schedule(responder_client, api, notify="")
    assert response.status_code == 302
    maintenance = Maintenance.objects.get()
    assert maintenance.updates.get().deliver_notifications is False
    assert not Event.objects.exists() and not Delivery.objects.exists()


@pytest.mark.parametrize("action", ["start", "cancel"])
def test_transitions_with_notify_off_write_no_event(responder_client, api, make_subscriber, action):
    make_subscriber(address="api@example.test", components=[api])
    _schedule(responder_client, api, notify="")
    maintenance = Maintenance.objects.get()
    response = responder_client.post(
        f"/dashboard/maintenance/{maintenance.public_id}/{action}/", {"body": ""}
    )
    assert response.status_code == 302
    assert maintenance.updates.count() == 2
    assert not Event.objects.exists()


def test_a_window_ending_before_it_starts_is_a_form_error(responder_client, api):
    response = _schedule(responder_client, api, scheduled_until="2030-07-01T21:00")
    assert response.status_code == 400
    assert "The window must end after it starts." in response.content.decode()
    assert not Maintenance.objects.exists()


def test_garbage_times_and_unknown_components_are_form_errors(responder_client, api):
    response = _schedule(
        responder_client, api, scheduled_for="tomorrow-ish", components=[99999], name=""
    )
    assert response.status_code == 400
    assert "Enter a valid date/time." in response.content.decode()


def test_rescheduling_moves_the_window(responder_client, api):
    _schedule(responder_client, api)
    maintenance = Maintenance.objects.get()
    response = responder_client.post(
        f"/dashboard/maintenance/{maintenance.public_id}/reschedule/",
        {"scheduled_for": "2030-07-02T22:00", "scheduled_until": "2030-07-02T23:00"},
    )
    assert response.status_code == 302
    maintenance.refresh_from_db()
    assert maintenance.scheduled_for == datetime(2030, 7, 2, 22, 0, tzinfo=UTC)


@pytest.fixture
def running(api, operator):
    start = timezone.now() + timedelta(minutes=5)
    maintenance = services.maintenance_schedule(
        name="Swap disks",
        scheduled_for=start,
        scheduled_until=start + timedelta(hours=1),
        components=[api],
        actor=operator,
    )
    return services.maintenance_start(maintenance=maintenance, actor=operator)


def test_start_update_and_complete_early(responder_client, api, running):
    base = f"/dashboard/maintenance/{running.public_id}"
    api.refresh_from_db()
    assert api.status == "under_maintenance"
    response = responder_client.post(f"{base}/update/", {"status": "verifying", "body": "Checks."})
    assert response.status_code == 302
    response = responder_client.post(f"{base}/complete/", {"body": ""})
    assert response.status_code == 302
    running.refresh_from_db()
    api.refresh_from_db()
    assert running.status == "completed" and running.cancelled_at is None
    assert api.status == "operational"


def test_cancelling_a_scheduled_window(responder_client, api):
    _schedule(responder_client, api)
    maintenance = Maintenance.objects.get()
    response = responder_client.post(
        f"/dashboard/maintenance/{maintenance.public_id}/cancel/", {"body": "Not needed."}
    )
    assert response.status_code == 302
    maintenance.refresh_from_db()
    assert maintenance.cancelled_at is not None


def test_refused_transition_shows_the_service_error(responder_client, api):
    _schedule(responder_client, api)
    maintenance = Maintenance.objects.get()
    response = responder_client.post(
        f"/dashboard/maintenance/{maintenance.public_id}/complete/", {"body": ""}
    )
    assert response.status_code == 400
    assert "errorlist" in response.content.decode()


def test_unknown_action_is_404(responder_client, api):
    _schedule(responder_client, api)
    maintenance = Maintenance.objects.get()
    url = f"/dashboard/maintenance/{maintenance.public_id}/explode/"
    assert responder_client.post(url).status_code == 404


@pytest.mark.parametrize(
    ("start", "end"),
    [("0001-01-01T00:00", "0001-01-01T01:00"), ("9999-12-31T22:00", "9999-12-31T23:59")],
)
def test_times_at_the_ends_of_the_calendar_are_form_errors(
    responder_client, api, berlin, start, end
):
    response = _schedule(responder_client, api, scheduled_for=start, scheduled_until=end)
    assert response.status_code == 400
    assert "Give a date between" in response.content.decode()
