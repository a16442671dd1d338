"""“This will notify …” before sending, on the maintenance detail page and the postmortem form:
the figure shown for a button is the number of deliveries that button then writes."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import services
from incidents.models import Incident, Maintenance
from notifications.models import Channel, Delivery, Event


def reach_lines(html: str) -> list[str]:
    """The text of each reach line, its button label first where it has one."""
    lines = re.findall(r'<p class="reach"[^>]*>(.*?)</p>', html, re.DOTALL)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", line)).strip() for line in lines]


def deliveries(kind: str) -> int:
    return Delivery.objects.filter(event__kind=kind).count()


@pytest.fixture
def audience(make_subscriber, api, web, settings):
    """Who hears about a window on API: everyone-subscribers, API's, not Web's; SMS only for
    the start."""
    settings.NOTIFY_SMS_EVENTS = ["maintenance.started"]
    make_subscriber(address="all@example.test")
    make_subscriber(address="api@example.test", components=[api])
    make_subscriber(address="web@example.test", components=[web])
    make_subscriber(channel=Channel.SMS, address="+14155550101")
    make_subscriber(channel=Channel.WEBHOOK, address="https://h.example.test/x", components=[api])


@pytest.fixture
def window(api, operator):
    start = timezone.now() + timedelta(days=1)
    return services.maintenance_schedule(
        name="DB upgrade",
        scheduled_for=start,
        scheduled_until=start + timedelta(hours=1),
        components=[api],
        actor=operator,
        notify=False,
    )


WITHOUT_SMS = "This will notify 3 subscribers: 2 email, 1 Webhook."
WITH_SMS = "This will notify 4 subscribers: 2 email, 1 SMS, 1 Webhook."


def test_scheduled_window_shows_reach_for_reschedule_start_and_cancel(
    responder_client, audience, window
):
    lines = reach_lines(responder_client.get(f"/dashboard/maintenance/{window.public_id}/").text)
    assert lines == [
        WITHOUT_SMS + " SMS is not sent for this kind of update.",
        "Start now: " + WITH_SMS,
        "Cancel: " + WITHOUT_SMS + " SMS is not sent for this kind of update.",
    ]


def test_each_maintenance_button_writes_as_many_deliveries_as_its_reach_line(
    responder_client, audience, window
):
    base = f"/dashboard/maintenance/{window.public_id}"
    later = window.scheduled_for + timedelta(hours=2)
    responder_client.post(
        f"{base}/reschedule/",
        {
            "scheduled_for": timezone.localtime(later).strftime("%Y-%m-%dT%H:%M"),
            "scheduled_until": timezone.localtime(later + timedelta(hours=1)).strftime(
                "%Y-%m-%dT%H:%M"
            ),
            "notify": "on",
        },
    )
    assert deliveries("maintenance.rescheduled") == 3
    responder_client.post(f"{base}/start/", {"body": "", "notify": "on"})
    assert deliveries("maintenance.started") == 4

    running = responder_client.get(f"{base}/").text
    assert reach_lines(running) == [
        WITHOUT_SMS + " SMS is not sent for this kind of update.",
        "Complete now: " + WITHOUT_SMS + " SMS is not sent for this kind of update.",
        "Cancel: " + WITHOUT_SMS + " SMS is not sent for this kind of update.",
    ]
    responder_client.post(f"{base}/update/", {"status": "verifying", "body": "Ok", "notify": "on"})
    assert deliveries("maintenance.updated") == 3
    responder_client.post(f"{base}/complete/", {"body": "", "notify": "on"})
    assert deliveries("maintenance.completed") == 3
    assert Maintenance.objects.get().status == "completed"
    # A finished window offers no buttons, so no reach lines.
    assert reach_lines(responder_client.get(f"{base}/").text) == []


def test_viewers_see_no_reach_lines(viewer_client, audience, window):
    assert reach_lines(viewer_client.get(f"/dashboard/maintenance/{window.public_id}/").text) == []


@pytest.fixture
def resolved(api, web, operator, make_subscriber):
    incident = services.incident_create(
        name="Down", body="x", actor=operator, component_statuses={api: "major_outage"}
    )
    services.incident_resolve(incident=incident, body="Fixed.", actor=operator)
    make_subscriber(address="api@example.test", components=[api])
    make_subscriber(address="web@example.test", components=[web])
    make_subscriber(address="inc@example.test", incident=incident)
    make_subscriber(channel=Channel.WEBHOOK, address="https://h.example.test/x")
    make_subscriber(channel=Channel.SMS, address="+14155550101")
    return incident


def test_postmortem_form_shows_reach_and_publishing_writes_that_many(
    responder_client, resolved, settings
):
    settings.NOTIFY_SMS_EVENTS = ["incident.created"]
    url = f"/dashboard/incidents/{resolved.public_id}/"
    line, _reopen = reach_lines(responder_client.get(url).text)
    # API's subscriber, the incident's own, the webhook to everything; not Web's, no SMS.
    assert line == (
        "This will notify 3 subscribers: 2 email, 1 Webhook. SMS is not sent for this kind "
        "of update."
    )
    response = responder_client.post(
        f"{url}postmortem/", {"body": "Root cause.", "notify": "on", "publish": "1"}
    )
    assert response.status_code == 302
    assert deliveries("incident.postmortem_published") == 3


def test_postmortem_reach_counts_sms_when_that_kind_sends_sms(responder_client, resolved, settings):
    settings.NOTIFY_SMS_EVENTS = ["incident.postmortem_published"]
    line, _reopen = reach_lines(
        responder_client.get(f"/dashboard/incidents/{resolved.public_id}/").text
    )
    assert line == "This will notify 4 subscribers: 2 email, 1 SMS, 1 Webhook."
    responder_client.post(
        f"/dashboard/incidents/{resolved.public_id}/postmortem/",
        {"body": "Root cause.", "notify": "on", "publish": "1"},
    )
    assert deliveries("incident.postmortem_published") == 4


def test_publishing_a_postmortem_without_notify_sends_nothing(responder_client, resolved):
    before = Event.objects.count()
    response = responder_client.post(
        f"/dashboard/incidents/{resolved.public_id}/postmortem/",
        {"body": "Root cause.", "publish": "1"},
    )
    assert response.status_code == 302
    incident = Incident.objects.get()
    assert incident.status == "postmortem" and incident.postmortem_body == "Root cause."
    assert Event.objects.count() == before
    assert deliveries("incident.postmortem_published") == 0


def test_saving_a_postmortem_draft_sends_nothing_even_with_notify_ticked(
    responder_client, resolved
):
    before = Event.objects.count()
    responder_client.post(
        f"/dashboard/incidents/{resolved.public_id}/postmortem/",
        {"body": "Draft.", "notify": "on"},
    )
    assert Incident.objects.get().postmortem_draft == "Draft."
    assert Event.objects.count() == before
