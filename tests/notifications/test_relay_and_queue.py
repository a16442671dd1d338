"""Nothing is lost: the relay re-sends rows whose enqueue was lost or whose lease expired;
real RQ queues with deterministic, de-duplicated job ids."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import services
from incidents.enums import ComponentStatus
from notifications.models import Delivery, DeliveryState, Event, SubscriberState
from notifications.services import outbox_relay
from tests.notifications.conftest import drain_queues


def _incident(operator, component):
    return services.incident_create(
        name="API errors",
        body="Errors.",
        component_statuses={component: ComponentStatus.MAJOR_OUTAGE},
        actor=operator,
    )


def test_relay_sends_rows_whose_enqueue_was_lost(
    smtp_sink, make_subscriber, api, operator, run_jobs
):
    make_subscriber()
    # The transaction "commits" but its on-commit enqueue never runs (Redis was down).
    _incident(operator, api)
    assert Delivery.objects.get().state == DeliveryState.PENDING
    result = run_jobs(outbox_relay)
    assert result["enqueued"] == 1
    assert Delivery.objects.get().state == DeliveryState.SENT
    assert len(smtp_sink.messages) == 1


def test_relay_reclaims_rows_whose_lease_expired(
    smtp_sink, make_subscriber, api, operator, run_jobs
):
    make_subscriber()
    _incident(operator, api)
    # A worker claimed the row and was killed before sending.
    Delivery.objects.update(
        state=DeliveryState.SENDING, lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert run_jobs(outbox_relay)["reclaimed"] == 1
    assert Delivery.objects.get().state == DeliveryState.SENT


def test_relay_leaves_rows_under_a_live_lease_alone(make_subscriber, api, operator, run_jobs):
    make_subscriber()
    _incident(operator, api)
    Delivery.objects.update(
        state=DeliveryState.SENDING, lease_expires_at=timezone.now() + timedelta(minutes=5)
    )
    assert run_jobs(outbox_relay) == {"reclaimed": 0, "enqueued": 0}
    assert Delivery.objects.get().state == DeliveryState.SENDING


def test_claiming_is_exclusive(make_subscriber, api, operator):
    from notifications.services.delivery import deliveries_claim

    for n in range(3):
        make_subscriber(address=f"s{n}@example.test")
    _incident(operator, api)
    event = Event.objects.get()
    first = deliveries_claim(event_id=event.id, limit=2)
    second = deliveries_claim(event_id=event.id, limit=2)
    assert len(first) == 2 and len(second) == 1
    assert not set(first) & set(second)
    assert deliveries_claim(event_id=event.id, limit=2) == []


@pytest.mark.redis
def test_publish_enqueues_batches_on_the_notifications_queue_and_a_worker_sends(
    smtp_sink, make_subscriber, api, operator, settings, django_capture_on_commit_callbacks
):
    import django_rq

    settings.NOTIFY_BATCH_SIZE = 2
    for n in range(3):
        make_subscriber(address=f"s{n}@example.test")
    with django_capture_on_commit_callbacks(execute=True):
        _incident(operator, api)
    event = Event.objects.get()
    queue = django_rq.get_queue("notifications")
    assert sorted(queue.job_ids) == [f"notify-{event.id}-0", f"notify-{event.id}-1"]
    drain_queues()
    assert len(smtp_sink.messages) == 3
    assert set(Delivery.objects.values_list("state", flat=True)) == {DeliveryState.SENT}


@pytest.mark.redis
def test_enqueuing_the_same_batch_twice_queues_it_once():
    import django_rq

    from incidents.queue import enqueue_now

    for _ in range(2):
        enqueue_now(
            "notifications.jobs.relay", queue="notifications", job_id="notify-x-0", unique=True
        )
    assert django_rq.get_queue("notifications").job_ids == ["notify-x-0"]


@pytest.mark.redis
def test_cron_scheduler_enqueues_the_relay(db):
    import django_rq

    from notifications.cron import build_scheduler

    connection = django_rq.get_connection("notifications")
    scheduler = build_scheduler(connection)
    names = {job.func.__name__ for job in scheduler.get_jobs()}
    # With the jobs other apps register (settings.STATUSPAGE_PERIODIC_JOBS): publishing's tick,
    # the upstream providers' tick, the monitors' tick and their hourly prune.
    assert names == {
        "relay",
        "expire_and_purge",
        "maintenance_tick",
        "publish_tick",
        "upstream_tick",
        "monitors_tick",
        "monitors_prune",
    }
    scheduler.enqueue_jobs()
    assert len(django_rq.get_queue("notifications").job_ids) == 1


def test_replay_gives_dead_rows_new_attempts_but_never_reaches_unsubscribers(
    smtp_sink, make_subscriber, api, operator, run_jobs
):
    from notifications.services import deliveries_replay

    keep = make_subscriber(address="keep@example.test")
    gone = make_subscriber(address="gone@example.test", state=SubscriberState.UNSUBSCRIBED)
    _incident(operator, api)
    event = Event.objects.get()
    # The unsubscribed subscriber got no row from the event; give it one as if it had
    # unsubscribed after its delivery died.
    Delivery.objects.create(event=event, subscriber=gone, channel="email")
    Delivery.objects.update(state=DeliveryState.DEAD, attempts=8)
    ids = list(Delivery.objects.values_list("id", flat=True))
    assert run_jobs(deliveries_replay, delivery_ids=ids) == 1
    assert [m["To"] for m in smtp_sink.messages] == ["keep@example.test"]
    assert Delivery.objects.get(subscriber=keep).state == DeliveryState.SENT
    assert Delivery.objects.get(subscriber=gone).state == DeliveryState.DEAD


def test_a_message_that_keeps_killing_its_worker_ends_dead(
    make_subscriber, api, operator, settings
):
    settings.NOTIFY_MAX_ATTEMPTS = 2
    make_subscriber()
    _incident(operator, api)
    Delivery.objects.update(
        state=DeliveryState.SENDING,
        attempts=2,
        lease_expires_at=timezone.now() - timedelta(seconds=1),
    )
    outbox_relay()
    row = Delivery.objects.get()
    assert row.state == DeliveryState.DEAD
    assert "lease expired" in row.last_error


def test_relay_enqueues_one_job_per_batch_of_lost_rows(
    smtp_sink, make_subscriber, api, operator, settings, run_jobs
):
    settings.NOTIFY_BATCH_SIZE = 2
    for n in range(5):
        make_subscriber(address=f"s{n}@example.test")
    _incident(operator, api)  # its on-commit enqueue is lost
    assert run_jobs(outbox_relay)["enqueued"] == 3
    assert len(smtp_sink.messages) == 5
    assert set(Delivery.objects.values_list("state", flat=True)) == {DeliveryState.SENT}
