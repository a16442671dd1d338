"""Every event kind, through every channel, rendered by the real path: the domain service
writes the event and its outbox rows, the delivery service builds each message."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import services
from incidents.enums import ComponentStatus
from incidents.events import EventKind
from notifications import render
from notifications.models import Channel, Delivery, Event
from notifications.services.delivery import build_message

# An ampersand and angle brackets (escaped only in HTML) and a non-breaking space (never in
# text or SMS: it forces UCS-2 and doubles an SMS's cost).
NAME = "Q&A\u00a0<DB> upgrade"
SHOWN = "Q&A <DB> upgrade"
KINDS = [v for k, v in vars(EventKind).items() if k.isupper()]
WINDOW_KINDS = {
    EventKind.MAINTENANCE_SCHEDULED,
    EventKind.MAINTENANCE_RESCHEDULED,
    EventKind.MAINTENANCE_REMINDER,
    EventKind.MAINTENANCE_STARTED,
}
# Two concatenated GSM-7 segments.
SMS_MAX_CHARS = 306


def _window(hours=24):
    start = timezone.now() + timedelta(hours=hours)
    return {"scheduled_for": start, "scheduled_until": start + timedelta(hours=2)}


def _maintenance(component, actor, name, **kwargs):
    return services.maintenance_schedule(
        name=name,
        components=[component],
        actor=actor,
        body="Rolling\u00a0restart of the primary.",
        **{**_window(), **kwargs},
    )


def _incident(component, actor, name):
    return services.incident_create(
        name=name,
        body="Errors\u00a0on the API.",
        component_statuses={component: ComponentStatus.MAJOR_OUTAGE},
        actor=actor,
    )


def _produce(kind, name, actor, make_component):
    """Drive the domain to emit `kind` for an object called `name`."""
    component = make_component(name if kind == EventKind.COMPONENT_STATUS_CHANGED else "API")
    if kind.startswith("incident."):
        incident = _incident(component, actor, name)
        if kind == EventKind.INCIDENT_UPDATED:
            services.incident_update_post(
                incident=incident, status="identified", body="Found it.", actor=actor
            )
        elif kind in (EventKind.INCIDENT_RESOLVED, EventKind.POSTMORTEM_PUBLISHED):
            services.incident_resolve(incident=incident, body="Fixed.", actor=actor)
        if kind == EventKind.POSTMORTEM_PUBLISHED:
            services.postmortem_save_draft(incident=incident, body="What happened.", actor=actor)
            services.postmortem_publish(incident=incident, actor=actor)
    elif kind == EventKind.MAINTENANCE_REMINDER:
        _maintenance(component, actor, name, remind_before_minutes=60, **_window(hours=0.5))
        services.maintenance_run_due(now=timezone.now())
    elif kind.startswith("maintenance."):
        maintenance = _maintenance(component, actor, name)
        if kind == EventKind.MAINTENANCE_RESCHEDULED:
            services.maintenance_reschedule(
                maintenance=maintenance, actor=actor, **_window(hours=48)
            )
        elif kind == EventKind.MAINTENANCE_CANCELLED:
            services.maintenance_cancel(maintenance=maintenance, actor=actor)
        elif kind != EventKind.MAINTENANCE_SCHEDULED:
            services.maintenance_start(maintenance=maintenance, actor=actor)
            if kind == EventKind.MAINTENANCE_UPDATED:
                services.maintenance_update_post(
                    maintenance=maintenance, status="verifying", body="Half done.", actor=actor
                )
            elif kind == EventKind.MAINTENANCE_COMPLETED:
                services.maintenance_complete(maintenance=maintenance, actor=actor)
    else:
        services.component_status_set(
            component=component, status=ComponentStatus.PARTIAL_OUTAGE, actor=actor, notify=True
        )
    return Event.objects.filter(kind=kind).latest("id")


@pytest.fixture
def message_for(settings, make_subscriber, operator, make_component):
    from incidents.models import Page

    settings.NOTIFY_SMS_EVENTS = KINDS
    Page.objects.update(notify_component_changes=True)
    addresses = {
        Channel.EMAIL: "ann@example.test",
        Channel.SMS: "+14155550123",
        Channel.WEBHOOK: "https://hooks.example.test/status",
        Channel.SLACK: "https://hooks.slack.com/services/T0/B0/x",
        Channel.DISCORD: "https://discord.com/api/webhooks/1/x",
        Channel.TEAMS: "https://example.webhook.office.com/x",
    }

    def make(kind, channel, name=NAME):
        make_subscriber(channel=channel, address=addresses[channel])
        event = _produce(kind, name, operator, make_component)
        [row] = Delivery.objects.filter(event=event).select_related("subscriber")
        return build_message(row, row.subscriber, render.event_view(event))

    return make


@pytest.mark.parametrize("channel", [c.value for c in Channel])
@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_renders_on_every_channel(message_for, kind, channel):
    message = message_for(kind, channel)
    headline = render.HEADLINES[kind]
    if channel == Channel.EMAIL:
        # One subject per incident or maintenance (threading); what happened opens the body.
        prefix = "Maintenance: " if kind.startswith("maintenance.") else ""
        title = SHOWN if kind != EventKind.COMPONENT_STATUS_CHANGED else f"{SHOWN}: Partial outage"
        assert message.subject == f"[Status] {prefix}{title}"
        assert message.text.splitlines()[0] == f"{headline}: {title}"
        assert headline in message.html
        assert SHOWN in message.text and "&amp;" not in message.text + message.subject
        assert "\u00a0" not in message.text + message.subject
        assert "Q&amp;A" in message.html and "<DB>" not in message.html
        assert "/unsubscribe/" in message.text
    elif channel == Channel.SMS:
        assert SHOWN in message.text and "&amp;" not in message.text
        assert "\u00a0" not in message.text and message.text.isascii()
        assert "STOP" in message.text
        assert len(message.text) <= SMS_MAX_CHARS
        if kind in WINDOW_KINDS:
            assert " UTC" in message.text  # when it will happen
    elif channel == Channel.WEBHOOK:
        payload = message.payload
        if kind == EventKind.COMPONENT_STATUS_CHANGED:
            assert payload["component"]["name"] == NAME
        else:
            assert payload["incident"]["name"] == NAME
        assert payload["meta"]["unsubscribe"]
    else:
        summary = message.payload
        assert summary["title"].startswith(headline) and SHOWN in summary["title"]
        assert "&amp;" not in summary["title"] + summary["text"]
        assert "\u00a0" not in summary["title"] + summary["text"]


@pytest.mark.parametrize("kind", KINDS)
def test_long_names_keep_the_sms_within_two_segments(message_for, kind):
    """Page and object names at their longest would make a 400-character SMS."""
    from incidents.models import Page

    Page.objects.update(name=("Acme " + "Cloud " * 19).strip())
    limit = 120 if kind == EventKind.COMPONENT_STATUS_CHANGED else 200
    name = ("Degraded " + "very " * 40)[: limit - 9] + " slow API"
    text = message_for(kind, Channel.SMS, name=name).text
    assert len(text) <= SMS_MAX_CHARS
    assert text.startswith("Acme Cloud") and "Degraded very very" in text
    assert text.endswith("Reply STOP to stop.")
