"""The guards of the send path, each with a test that fails without it: nothing is sent after
the subscriber left; a worker whose lease ran out sends nothing more and records nothing over
the worker that took its rows; a lease that has not run out keeps the row its worker's, one
that has makes it claimable again."""

from __future__ import annotations

import signal
from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import services
from incidents.enums import ComponentStatus
from notifications.models import (
    Channel,
    Delivery,
    DeliveryAttempt,
    DeliveryState,
    Event,
)
from notifications.services import delivery
from notifications.services.delivery import batch, deliveries_claim
from notifications.services.outbox import LEASE_EXPIRED_ERROR, deliveries_reclaim_expired
from notifications.services.subscriptions import subscriber_quarantine, subscriber_unsubscribe
from notifications.transports import TransportError
from notifications.transports.email import EmailTransport

NOTHING = {"sent": 0, "retry": 0, "failed": 0, "dead": 0}


def _publish(operator, component) -> Event:
    """An incident whose outbox rows wait, pending (tests never commit, so no job runs)."""
    services.incident_create(
        name="API errors",
        body="Errors on the API.",
        component_statuses={component: ComponentStatus.MAJOR_OUTAGE},
        actor=operator,
    )
    return Event.objects.get()


def _past_the_lease(clock, settings) -> None:
    clock.shift(timedelta(seconds=settings.NOTIFY_LEASE_SECONDS + 1))


@pytest.fixture
def _default_sigterm():
    """As in an RQ work horse: no SIGTERM handler, so the batch installs its own."""
    previous = signal.signal(signal.SIGTERM, signal.SIG_DFL)
    yield
    signal.signal(signal.SIGTERM, previous)


# --- never after unsubscribe ---------------------------------------------------------------


@pytest.mark.parametrize("channel", [Channel.EMAIL, Channel.WEBHOOK])
def test_a_subscriber_who_unsubscribes_after_the_claim_is_sent_nothing(
    channel, smtp_sink, receiver, make_subscriber, api, operator, monkeypatch
):
    """Unsubscribing cancels the rows still pending; a row a worker has already claimed is
    stopped by the check before the send."""
    address = receiver.url if channel == Channel.WEBHOOK else "ann@example.test"
    sub = make_subscriber(channel=channel, address=address)
    event = _publish(operator, api)
    real_claim = delivery.deliveries_claim

    def claim_then_unsubscribe(**kwargs):
        ids = real_claim(**kwargs)
        if ids:
            subscriber_unsubscribe(subscriber=sub)
        return ids

    monkeypatch.setattr(batch, "deliveries_claim", claim_then_unsubscribe)
    counts = delivery.batch_deliver(event_id=event.id)
    assert smtp_sink.messages == [] and receiver.requests == []
    row = Delivery.objects.get()
    assert counts == {**NOTHING, "failed": 1}
    assert row.state == DeliveryState.FAILED
    assert row.last_error == "Subscriber no longer active"
    assert row.lease_expires_at is None and row.sent_at is None
    [entry] = DeliveryAttempt.objects.filter(delivery=row)
    assert (entry.number, entry.outcome, entry.code, entry.latency_ms) == (1, "failed", "", None)
    assert entry.message == "Subscriber no longer active"


def test_rows_of_an_endpoint_quarantined_after_the_event_are_not_sent(
    receiver, make_subscriber, api, operator
):
    """Quarantine leaves the endpoint's queued rows in place: the same check stops them."""
    sub = make_subscriber(channel=Channel.WEBHOOK, address=receiver.url)
    event = _publish(operator, api)
    subscriber_quarantine(subscriber=sub, last_error="HTTP 500")
    assert delivery.batch_deliver(event_id=event.id) == {**NOTHING, "failed": 1}
    assert receiver.requests == []
    row = Delivery.objects.get()
    assert (row.state, row.last_error) == (DeliveryState.FAILED, "Subscriber no longer active")


# --- a claim taken over --------------------------------------------------------------------


def _first_send_outlives_the_lease(monkeypatch, clock, settings, meanwhile, answer=None):
    """The first email of a batch goes out, but its send returns only after the row's lease
    ran out; `meanwhile()` is what the rest of the system did in that time. `answer`, if
    given, is the error that send then reports instead of success."""
    real_send = EmailTransport.send
    calls = []

    def send(self, message):
        calls.append(message.address)
        receipt = real_send(self, message)
        if len(calls) == 1:
            _past_the_lease(clock, settings)
            meanwhile()
            if answer is not None:
                raise answer
        return receipt

    monkeypatch.setattr(EmailTransport, "send", send)


def test_a_worker_that_lost_its_rows_to_another_sends_none_of_them_again(
    smtp_sink, make_subscriber, api, operator, monkeypatch, clock, settings
):
    make_subscriber(address="a@example.test")
    make_subscriber(address="b@example.test")
    event = _publish(operator, api)

    def another_worker():
        # The relay takes the rows back; another worker's batch claims and sends both.
        assert deliveries_reclaim_expired() == 2
        assert delivery.batch_deliver(event_id=event.id) == {**NOTHING, "sent": 2}

    _first_send_outlives_the_lease(monkeypatch, clock, settings, another_worker)
    counts = delivery.batch_deliver(event_id=event.id)
    received = Counter(str(m["To"]) for m in smtp_sink.messages)
    # a@ was in flight when the lease ran out: the one duplicate nothing can prevent (its
    # stable Message-ID lets the receiving side drop it). b@ is the other worker's alone.
    assert received == {"a@example.test": 2, "b@example.test": 1}
    assert counts == {**NOTHING, "sent": 1}
    rows = Delivery.objects.order_by("subscriber__address")
    assert [(r.state, r.attempts) for r in rows] == [(DeliveryState.SENT, 2)] * 2
    # b@'s log: the relay's line for the first claim, the other worker's send. Nothing from
    # the worker that gave it up.
    b_log = DeliveryAttempt.objects.filter(delivery=rows[1]).order_by("number", "id")
    assert [(e.number, e.outcome, e.message) for e in b_log] == [
        (1, "retry", LEASE_EXPIRED_ERROR),
        (2, "sent", ""),
    ]


@pytest.mark.parametrize(
    "answer", [None, TransportError("Mail server connection lost: timed out")], ids=["ok", "error"]
)
def test_a_worker_that_lost_its_row_records_nothing_over_the_new_claim(
    answer, smtp_sink, make_subscriber, api, operator, monkeypatch, clock, settings
):
    make_subscriber()
    event = _publish(operator, api)
    taken = []

    def another_worker_claims():
        deliveries_reclaim_expired()
        taken.extend(deliveries_claim(event_id=event.id, limit=10))

    _first_send_outlives_the_lease(monkeypatch, clock, settings, another_worker_claims, answer)
    delivery.batch_deliver(event_id=event.id)
    row = Delivery.objects.get()
    assert taken == [row.pk]
    # Still the other worker's claim, as it made it: sending, its lease, its attempt.
    assert row.state == DeliveryState.SENDING and row.attempts == 2
    assert row.lease_expires_at > timezone.now() and row.sent_at is None
    assert row.last_error == LEASE_EXPIRED_ERROR
    # What the first worker did is still in the log: the message did go out on its watch.
    first = DeliveryAttempt.objects.filter(delivery=row).exclude(message=LEASE_EXPIRED_ERROR)
    assert [(e.number, e.outcome) for e in first] == [(1, "sent" if answer is None else "retry")]


def _claim_then(monkeypatch, meanwhile):
    """The batch's claim succeeds, but `meanwhile()` happens before the job loads its rows
    (a job paused past its lease between the two)."""
    real_claim = delivery.deliveries_claim

    def claim(**kwargs):
        ids = real_claim(**kwargs)
        if ids:
            monkeypatch.setattr(batch, "deliveries_claim", real_claim)
            meanwhile()
        return ids

    monkeypatch.setattr(batch, "deliveries_claim", claim)


def test_rows_lost_before_they_were_loaded_are_not_sent_over_the_new_claim(
    smtp_sink, make_subscriber, api, operator, monkeypatch, clock, settings
):
    """The job loads only the rows still held under its own claim's lease: it used to load
    whatever lease a row had by then, another worker's, and send the row again under it."""
    make_subscriber()
    event = _publish(operator, api)
    taken = []

    def taken_over():
        _past_the_lease(clock, settings)
        deliveries_reclaim_expired()
        taken.extend(deliveries_claim(event_id=event.id, limit=10))

    _claim_then(monkeypatch, taken_over)
    assert delivery.batch_deliver(event_id=event.id) == NOTHING
    assert smtp_sink.messages == []
    row = Delivery.objects.get()
    assert taken == [row.pk]
    assert row.state == DeliveryState.SENDING and row.attempts == 2
    assert row.lease_expires_at > timezone.now()
    assert not DeliveryAttempt.objects.exclude(message=LEASE_EXPIRED_ERROR).exists()


def test_rows_the_relay_took_back_before_they_were_loaded_stay_in_the_queue(
    smtp_sink, make_subscriber, api, operator, monkeypatch, clock, settings
):
    """A row the relay put back (pending, no lease) is not this job's: it used to end the
    batch with a TypeError on the missing lease."""
    make_subscriber()
    event = _publish(operator, api)

    def taken_back():
        _past_the_lease(clock, settings)
        assert deliveries_reclaim_expired() == 1

    _claim_then(monkeypatch, taken_back)
    assert delivery.batch_deliver(event_id=event.id) == NOTHING
    assert smtp_sink.messages == []
    row = Delivery.objects.get()
    assert (row.state, row.attempts, row.lease_expires_at) == (DeliveryState.PENDING, 1, None)


@pytest.mark.usefixtures("_default_sigterm")
def test_a_stopped_worker_hands_back_only_rows_it_still_holds(
    smtp_sink, make_subscriber, api, operator, monkeypatch, clock, settings
):
    make_subscriber(address="a@example.test")
    make_subscriber(address="b@example.test")
    event = _publish(operator, api)
    # Once the batch is wound up the signal is raised again; here it is only recorded.
    monkeypatch.setattr(batch.os, "kill", lambda pid, sig: None)
    taken = []

    def taken_over_then_stopped():
        deliveries_reclaim_expired()
        taken.extend(deliveries_claim(event_id=event.id, limit=10))
        signal.raise_signal(signal.SIGTERM)

    _first_send_outlives_the_lease(monkeypatch, clock, settings, taken_over_then_stopped)
    delivery.batch_deliver(event_id=event.id)
    assert len(taken) == 2
    # Neither row went back to `pending`: both are the other worker's, which will send them.
    rows = Delivery.objects.order_by("id")
    assert [(r.state, r.attempts) for r in rows] == [(DeliveryState.SENDING, 2)] * 2
    assert [str(m["To"]) for m in smtp_sink.messages] == ["a@example.test"]


def test_a_webhook_whose_lease_ran_out_in_the_queue_is_handed_back_unsent(
    receiver, make_subscriber, api, operator, clock, settings
):
    """The window starts no POST for a row whose lease ends too soon; the row goes back to
    the queue untried (attempt uncounted) for the next job."""
    settings.NOTIFY_HTTP_CONCURRENCY = 1
    make_subscriber(channel=Channel.WEBHOOK, address=f"{receiver.url}?n=1")
    make_subscriber(channel=Channel.WEBHOOK, address=f"{receiver.url}?n=2")
    event = _publish(operator, api)
    served = []

    def on_request():
        served.append(1)
        if len(served) == 1:
            _past_the_lease(clock, settings)

    receiver.on_request = on_request
    counts = delivery.batch_deliver(event_id=event.id)
    assert [r["path"] for r in receiver.requests] == ["/hook?n=1"]
    assert counts == {**NOTHING, "sent": 1}
    first, second = Delivery.objects.order_by("id")
    assert first.state == DeliveryState.SENT
    assert (second.state, second.attempts, second.lease_expires_at) == (
        DeliveryState.PENDING,
        0,
        None,
    )
    assert not DeliveryAttempt.objects.filter(delivery=second).exists()


# --- leases ----------------------------------------------------------------------------------


def test_a_row_under_a_live_lease_is_nobody_elses_and_claimable_once_it_expired(
    smtp_sink, make_subscriber, api, operator, clock, settings
):
    make_subscriber()
    event = _publish(operator, api)
    # A worker claims the row, then dies without a word.
    [pk] = deliveries_claim(event_id=event.id, limit=10)
    clock.shift(timedelta(seconds=settings.NOTIFY_LEASE_SECONDS - 5))
    assert deliveries_reclaim_expired() == 0
    assert delivery.batch_deliver(event_id=event.id) == NOTHING
    assert smtp_sink.messages == []
    assert Delivery.objects.get().state == DeliveryState.SENDING
    clock.shift(timedelta(seconds=10))
    assert deliveries_reclaim_expired() == 1
    assert delivery.batch_deliver(event_id=event.id) == {**NOTHING, "sent": 1}
    row = Delivery.objects.get()
    assert (row.pk, row.state, row.attempts) == (pk, DeliveryState.SENT, 2)
    assert len(smtp_sink.messages) == 1
