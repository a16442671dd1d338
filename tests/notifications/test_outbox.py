"""event_publish writes one Delivery per matching active subscriber, set-based."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents import services
from incidents.enums import ComponentStatus
from incidents.models import Page
from notifications.models import Channel, Delivery, Event, Subscriber, SubscriberState


def _recipients(event=None):
    rows = Delivery.objects.all() if event is None else Delivery.objects.filter(event=event)
    return set(rows.values_list("subscriber__address", flat=True))


def _open_incident(operator, component, notify=True):
    return services.incident_create(
        name="API errors",
        body="Errors & timeouts on the API.",
        component_statuses={component: ComponentStatus.MAJOR_OUTAGE},
        notify=notify,
        actor=operator,
    )


def test_incident_reaches_all_and_matching_component_subscribers_only(
    make_subscriber, api, web, operator
):
    make_subscriber(address="all@example.test")
    make_subscriber(address="api@example.test", components=[api])
    make_subscriber(address="web@example.test", components=[web])
    _open_incident(operator, api)
    assert _recipients() == {"all@example.test", "api@example.test"}


def test_only_active_subscribers_get_rows(make_subscriber, api, operator):
    make_subscriber(address="active@example.test")
    make_subscriber(address="new@example.test", state=SubscriberState.UNCONFIRMED)
    make_subscriber(address="gone@example.test", state=SubscriberState.UNSUBSCRIBED)
    make_subscriber(
        address="q@example.test",
        state=SubscriberState.QUARANTINED,
        quarantined_at=timezone.now(),
        confirmed_at=timezone.now(),
    )
    _open_incident(operator, api)
    assert _recipients() == {"active@example.test"}


def test_notify_false_creates_no_event_and_no_rows(make_subscriber, api, operator):
    make_subscriber()
    _open_incident(operator, api, notify=False)
    assert not Event.objects.exists()
    assert not Delivery.objects.exists()


def test_sms_only_for_configured_events(make_subscriber, api, operator):
    make_subscriber(channel=Channel.SMS, address="+14155550123")
    incident = _open_incident(operator, api)
    services.incident_update_post(
        incident=incident, status="identified", body="Found it.", actor=operator
    )
    services.incident_resolve(incident=incident, body="Fixed.", actor=operator)
    kinds = list(Delivery.objects.order_by("id").values_list("event__kind", flat=True))
    assert kinds == ["incident.created", "incident.resolved"]


def test_sms_opted_out_number_gets_no_rows(make_subscriber, api, operator):
    make_subscriber(channel=Channel.SMS, address="+14155550123", sms_opted_out=True)
    _open_incident(operator, api)
    assert not Delivery.objects.exists()


def test_just_this_incident_subscriber_hears_that_incident_only(
    make_subscriber, api, web, operator
):
    first = _open_incident(operator, api)
    make_subscriber(address="one@example.test", incident=first, all_components=False)
    services.incident_update_post(incident=first, status="monitoring", body="ok", actor=operator)
    services.incident_create(
        name="Other",
        body="x",
        component_statuses={web: ComponentStatus.DEGRADED_PERFORMANCE},
        actor=operator,
    )
    kinds = list(Delivery.objects.values_list("event__incident_id", flat=True))
    assert kinds == [first.id]


def test_maintenance_reaches_per_component_subscribers(make_subscriber, api, web, operator):
    make_subscriber(address="api@example.test", components=[api])
    make_subscriber(address="web@example.test", components=[web])
    start = timezone.now() + timedelta(days=1)
    services.maintenance_schedule(
        name="DB upgrade",
        scheduled_for=start,
        scheduled_until=start + timedelta(hours=1),
        components=[api],
        actor=operator,
    )
    assert _recipients() == {"api@example.test"}


def test_component_changes_notify_nobody_while_the_page_setting_is_off(
    make_subscriber, api, operator
):
    assert not Page.objects.get().notify_component_changes  # the default
    make_subscriber()
    services.component_status_set(
        component=api, status=ComponentStatus.DEGRADED_PERFORMANCE, actor=operator, notify=True
    )
    assert not Event.objects.exists()
    assert not Delivery.objects.exists()


def test_with_the_page_setting_on_a_change_reaches_that_components_subscribers(
    make_subscriber, api, web, operator
):
    Page.objects.update(notify_component_changes=True)
    make_subscriber(address="all@example.test")
    make_subscriber(address="api@example.test", components=[api])
    make_subscriber(address="web@example.test", components=[web])
    services.component_status_set(
        component=api, status=ComponentStatus.PARTIAL_OUTAGE, actor=operator, notify=True
    )
    event = Event.objects.get()
    assert event.kind == "component.status_changed" and event.component_ids == [api.id]
    assert _recipients(event) == {"all@example.test", "api@example.test"}


def test_with_the_page_setting_on_a_change_marked_quiet_notifies_nobody(
    make_subscriber, api, operator
):
    Page.objects.update(notify_component_changes=True)
    make_subscriber()
    services.component_status_set(
        component=api, status=ComponentStatus.PARTIAL_OUTAGE, actor=operator, notify=False
    )
    assert not Delivery.objects.exists()


def test_batches_are_enqueued_on_commit_with_deterministic_ids(
    make_subscriber, api, operator, settings, django_capture_on_commit_callbacks, monkeypatch
):
    settings.NOTIFY_BATCH_SIZE = 2
    for n in range(5):
        make_subscriber(address=f"s{n}@example.test")
    calls = []
    monkeypatch.setattr(
        "incidents.queue.enqueue_now",
        lambda func, *args, queue, job_id, **kw: calls.append((func, args, queue, job_id)),
    )
    with django_capture_on_commit_callbacks(execute=True):
        _open_incident(operator, api)
    event = Event.objects.get()
    batch_calls = [c for c in calls if c[0] == "notifications.jobs.deliver_batch"]
    assert [c[3] for c in batch_calls] == [f"notify-{event.id}-{n}" for n in range(3)]
    assert {c[2] for c in batch_calls} == {"notifications"}


@pytest.mark.parametrize("count", [0, 1])
def test_publishing_twice_for_one_event_row_adds_no_duplicates(make_subscriber, api, count):
    from incidents.events import DomainEvent
    from notifications.services.outbox import _insert_deliveries

    make_subscriber()
    event = Event.objects.create(kind="incident.updated")
    domain = DomainEvent(kind="incident.updated", notify=True, component_ids=(api.id,))
    assert _insert_deliveries(event, domain) == 1
    for _ in range(count):
        _insert_deliveries(event, domain)
    assert Delivery.objects.count() == 1


def _add_subscribers(count: int, *, start: int, component) -> None:
    """`count` active subscribers, created in bulk: half to all components, half to
    `component`, across email, webhook and Slack."""
    now = timezone.now()
    channels = [Channel.EMAIL, Channel.WEBHOOK, Channel.SLACK]
    subs = Subscriber.objects.bulk_create(
        [
            Subscriber(
                channel=channels[n % 3],
                address=f"s{n}@example.test"
                if channels[n % 3] == Channel.EMAIL
                else f"https://hooks.example.test/{n}",
                contact_email="ops@example.test",
                state=SubscriberState.ACTIVE,
                confirmed_at=now,
                all_components=n % 2 == 0,
            )
            for n in range(start, start + count)
        ]
    )
    through = Subscriber.components.through
    through.objects.bulk_create(
        [
            through(subscriber_id=s.id, component_id=component.id)
            for s in subs
            if not s.all_components
        ]
    )


def test_posting_an_update_costs_the_same_queries_for_10_and_200_subscribers(
    api, operator, django_capture_on_commit_callbacks
):
    """The outbox is set-based: the request's work does not grow with the audience."""
    queries, jobs, written = [], [], []
    for total in (10, 200):
        _add_subscribers(
            total - Subscriber.objects.count(), start=Subscriber.objects.count(), component=api
        )
        incident = _open_incident(operator, api)
        with (
            CaptureQueriesContext(connection) as captured,
            django_capture_on_commit_callbacks() as callbacks,
        ):
            services.incident_update_post(
                incident=incident, status="identified", body="Found it.", actor=operator
            )
        queries.append(len(captured))
        jobs.append(len(callbacks))
        written.append(Delivery.objects.filter(event=Event.objects.latest("id")).count())
        services.incident_resolve(incident=incident, body="Fixed.", actor=operator)
    assert written == [10, 200]
    assert queries[0] == queries[1], f"{queries[0]} queries for 10, {queries[1]} for 200"
    assert jobs[0] == jobs[1]
