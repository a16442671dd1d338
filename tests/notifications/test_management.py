"""Operators' subscriber services: add, remove, resend, CSV import, and the reach figures
(which must equal the outbox rows an event really writes)."""

from __future__ import annotations

import pytest

from incidents import services as incident_services
from incidents.events import DomainEvent, EventKind
from incidents.models import AuditEntry
from notifications import selectors
from notifications.models import (
    Channel,
    CreatedVia,
    Delivery,
    DeliveryState,
    Subscriber,
    SubscriberState,
)
from notifications.services import (
    SubscribeError,
    event_publish,
    subscriber_create,
    subscriber_remove,
    subscriber_resend_confirmation,
    subscribers_import_csv,
)


@pytest.fixture
def admin_actor():
    return incident_services.Actor(label="ada", via="dashboard")


def test_create_with_skip_confirmation_is_active_and_sends_nothing(
    admin_actor, api, run_jobs, smtp_sink, make_subscriber
):
    sub = run_jobs(
        subscriber_create,
        actor=admin_actor,
        channel="email",
        address="Ops@Example.TEST",
        component_ids=[api.id],
        skip_confirmation=True,
    )
    sub.refresh_from_db()
    assert sub.state == SubscriberState.ACTIVE and sub.confirmed_at is not None
    assert sub.address == "Ops@example.test" and sub.created_via == CreatedVia.DASHBOARD
    assert list(sub.components.all()) == [api] and not sub.all_components
    assert smtp_sink.messages == []
    entry = AuditEntry.objects.get(action="subscriber.create")
    assert entry.actor == "ada" and entry.object_id == sub.public_id


def test_create_without_skip_starts_the_opt_in(admin_actor, run_jobs, smtp_sink, make_subscriber):
    sub = run_jobs(subscriber_create, actor=admin_actor, channel="email", address="a@example.test")
    sub.refresh_from_db()
    assert sub.state == SubscriberState.UNCONFIRMED
    [mail] = smtp_sink.messages
    assert mail["To"] == "a@example.test"


def test_create_refuses_an_address_already_active(admin_actor, make_subscriber):
    make_subscriber(address="ann@example.test")
    with pytest.raises(SubscribeError) as info:
        subscriber_create(actor=admin_actor, channel="email", address="ann@EXAMPLE.test")
    assert info.value.field == "address" and "already subscribed" in info.value.message
    assert Subscriber.objects.count() == 1


@pytest.mark.parametrize(
    ("channel", "address", "contact", "field"),
    [
        ("email", "not-an-address", "", "address"),
        ("sms", "12", "", "address"),
        ("webhook", "https://hooks.example.test/x", "", "contact_email"),
        ("pigeon", "coo", "", "channel"),
    ],
)
def test_create_validates_like_the_public_form(admin_actor, page, channel, address, contact, field):
    with pytest.raises(SubscribeError) as info:
        subscriber_create(
            actor=admin_actor, channel=channel, address=address, contact_email=contact
        )
    assert info.value.field == field
    assert (
        not Subscriber.objects.exists()
        and not AuditEntry.objects.filter(action="subscriber.create").exists()
    )


def test_remove_unsubscribes_cancels_pending_and_audits(admin_actor, make_subscriber, api):
    sub = make_subscriber()
    event = event_publish(DomainEvent(kind=EventKind.INCIDENT_CREATED, notify=True))
    assert Delivery.objects.get(event=event).state == DeliveryState.PENDING
    subscriber_remove(actor=admin_actor, subscriber=sub)
    sub.refresh_from_db()
    assert sub.state == SubscriberState.UNSUBSCRIBED
    assert Delivery.objects.get(event=event).state == DeliveryState.FAILED
    assert AuditEntry.objects.filter(action="subscriber.remove", object_id=sub.public_id).exists()


def test_resend_only_for_unconfirmed(admin_actor, make_subscriber, run_jobs, smtp_sink):
    waiting = make_subscriber(address="w@example.test", state=SubscriberState.UNCONFIRMED)
    run_jobs(subscriber_resend_confirmation, actor=admin_actor, subscriber=waiting)
    [mail] = smtp_sink.messages
    assert mail["To"] == "w@example.test"
    active = make_subscriber(address="a@example.test")
    with pytest.raises(SubscribeError):
        subscriber_resend_confirmation(actor=admin_actor, subscriber=active)


def test_import_keeps_good_rows_and_reports_bad_ones(admin_actor, api, web, make_subscriber):
    make_subscriber(address="known@example.test")
    rows = [
        {"channel": "email", "address": "one@example.test", "contact_email": "", "components": ""},
        {"channel": "sms", "address": "12", "contact_email": "", "components": ""},
        {"channel": "EMAIL", "address": "two@example.test", "components": f"api;{web.public_id}"},
        {"channel": "email", "address": "known@example.test"},
        {"channel": "email", "address": "three@example.test", "components": "Nope"},
        {"channel": None, "address": None},
    ]
    seen = []
    report = subscribers_import_csv(
        actor=admin_actor, rows=rows, skip_confirmation=True, progress=seen.append
    )
    assert (report.created, report.skipped) == (2, 2)
    assert [(e.row, e.data["address"]) for e in report.errors] == [
        (2, "12"),
        (5, "three@example.test"),
    ]
    assert "Unknown component: Nope" in report.errors[1].message
    two = Subscriber.objects.get(address="two@example.test")
    assert set(two.components.all()) == {api, web} and two.state == SubscriberState.ACTIVE
    assert two.created_via == CreatedVia.IMPORT
    assert not Subscriber.objects.filter(address="three@example.test").exists()
    assert seen and seen[-1].processed == len(rows)


def test_search_and_counts(make_subscriber):
    make_subscriber(address="ann@example.test")
    make_subscriber(address="bob@example.test", state=SubscriberState.UNCONFIRMED)
    hook = make_subscriber(channel=Channel.WEBHOOK, address="https://h.example.test/x")
    assert [s.address for s in selectors.subscriber_search(q="ANN")] == ["ann@example.test"]
    assert list(selectors.subscriber_search(q=hook.public_id)) == [hook]
    assert list(selectors.subscriber_search(q="ops@example")) == [hook]  # contact email
    assert selectors.subscriber_search(channel="email", state="unconfirmed").count() == 1
    counts = selectors.subscriber_counts()
    assert counts["email"]["active"] == 1 and counts["email"]["unconfirmed"] == 1
    assert counts["webhook"]["active"] == 1 and counts["sms"]["active"] == 0


@pytest.fixture
def audience(make_subscriber, api, web, operator):
    """Subscribers that every matching rule treats differently."""
    other = incident_services.incident_create(
        name="Other", body="x", actor=operator, component_statuses={web: "major_outage"}
    )
    make_subscriber(address="all@example.test")
    make_subscriber(address="api@example.test", components=[api])
    make_subscriber(address="web@example.test", components=[web])
    make_subscriber(address="off@example.test", state=SubscriberState.UNCONFIRMED)
    make_subscriber(address="gone@example.test", state=SubscriberState.UNSUBSCRIBED)
    make_subscriber(address="inc@example.test", incident=other)
    make_subscriber(channel=Channel.SMS, address="+14155550101")
    make_subscriber(channel=Channel.SMS, address="+14155550102", components=[api])
    make_subscriber(channel=Channel.SMS, address="+14155550103", sms_opted_out=True)
    make_subscriber(channel=Channel.WEBHOOK, address="https://h.example.test/a", components=[api])
    make_subscriber(channel=Channel.SLACK, address="https://hooks.slack.test/x", components=[web])
    return other


@pytest.mark.parametrize(
    ("kind", "components", "on_other_incident"),
    [
        (EventKind.INCIDENT_CREATED, ["api"], False),
        (EventKind.INCIDENT_UPDATED, ["api"], False),
        (EventKind.INCIDENT_UPDATED, ["api", "web"], True),
        (EventKind.INCIDENT_RESOLVED, [], True),
        (EventKind.MAINTENANCE_SCHEDULED, ["web"], False),
        (EventKind.MAINTENANCE_STARTED, [], False),
    ],
)
def test_reach_equals_the_deliveries_actually_written(
    audience, api, web, kind, components, on_other_incident
):
    ids = [{"api": api, "web": web}[name].id for name in components]
    incident_id = audience.id if on_other_incident else None
    reach = selectors.reach_by_channel(kind=kind, component_ids=ids, incident_id=incident_id)
    event = event_publish(
        DomainEvent(kind=kind, notify=True, incident_id=incident_id, component_ids=tuple(ids))
    )
    written = dict.fromkeys(Channel.values, 0)
    for row in Delivery.objects.filter(event=event):
        written[row.channel] += 1
    assert reach == written
    assert sum(reach.values()) > 0


def test_reach_counts_sms_only_for_configured_kinds(audience, api, settings):
    settings.NOTIFY_SMS_EVENTS = ["incident.created"]
    created = selectors.reach_by_channel(kind="incident.created", component_ids=[api.id])
    updated = selectors.reach_by_channel(kind="incident.updated", component_ids=[api.id])
    assert created["sms"] == 2 and updated["sms"] == 0
    assert created["email"] == updated["email"] == 2
