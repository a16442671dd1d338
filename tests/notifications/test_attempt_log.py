"""The attempt log: a row per try with its outcome, the provider's answer (code and an
excerpt), its latency and its number; written in bulk; purged after the retention period."""

from __future__ import annotations

import re
import socket
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents import services
from incidents.enums import ComponentStatus
from notifications import jobs
from notifications.models import (
    Channel,
    Delivery,
    DeliveryAttempt,
    DeliveryState,
    Event,
    Subscriber,
    SubscriberState,
)
from notifications.services import attempts, delivery
from notifications.services.delivery import batch, deliveries_claim, sending
from notifications.services.outbox import LEASE_EXPIRED_ERROR, deliveries_reclaim_expired
from notifications.transports import excerpt
from tests.notifications.conftest import INVALID_NUMBER

ATTEMPT_TABLE = DeliveryAttempt._meta.db_table


def _publish(operator, component) -> Event:
    services.incident_create(
        name="API errors",
        body="Errors on the API.",
        component_statuses={component: ComponentStatus.MAJOR_OUTAGE},
        actor=operator,
    )
    return Event.objects.latest("id")


def _deliver(event: Event) -> dict:
    Delivery.objects.filter(state=DeliveryState.PENDING).update(next_attempt_at=timezone.now())
    return delivery.batch_deliver(event_id=event.id)


def _log(row: Delivery) -> list[DeliveryAttempt]:
    return list(DeliveryAttempt.objects.filter(delivery=row).order_by("number", "id"))


# --- what a try leaves ------------------------------------------------------------------------


def test_each_webhook_try_is_logged_with_its_answer_latency_and_number(
    receiver, make_subscriber, api, operator
):
    make_subscriber(channel=Channel.WEBHOOK, address=receiver.url)
    event = _publish(operator, api)
    receiver.status, receiver.body = 503, b"upstream overloaded\n<b>try later</b>"
    before = timezone.now()
    assert _deliver(event)["retry"] == 1
    receiver.status, receiver.body = 200, b'{"ok": true}'
    assert _deliver(event)["sent"] == 1
    row = Delivery.objects.get()
    first, second = _log(row)
    assert (first.number, first.outcome, first.code, first.message) == (
        1,
        "retry",
        "HTTP 503",
        "HTTP 503",
    )
    assert first.excerpt == "upstream overloaded <b>try later</b>"
    assert (second.number, second.outcome, second.code, second.message, second.excerpt) == (
        2,
        "sent",
        "HTTP 200",
        "",
        '{"ok": true}',
    )
    for entry in (first, second):
        assert entry.at >= before
        assert entry.latency_ms is not None and 0 <= entry.latency_ms < 5000


def test_an_answer_is_kept_as_one_line_of_at_most_300_printable_characters(
    receiver, make_subscriber, api, operator
):
    make_subscriber(channel=Channel.WEBHOOK, address=receiver.url)
    event = _publish(operator, api)
    receiver.status = 500
    receiver.body = b"\x1b[31mred\x00 caf\xc3\xa9 \xff\r\n\xe2\x80\xaeevil " + b"x" * 5000
    _deliver(event)
    [entry] = _log(Delivery.objects.get())
    assert len(entry.excerpt) == 300 and entry.excerpt.endswith("…")
    assert entry.excerpt.startswith("[31mred café \ufffd evil xxx")
    assert not re.search(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e]", entry.excerpt)


def test_excerpt_of_nothing_is_empty_and_short_text_is_kept():
    assert excerpt(b"") == excerpt(None) == ""
    assert excerpt("  250  2.0.0 Ok:\tqueued as 4F3A  ") == "250 2.0.0 Ok: queued as 4F3A"
    assert excerpt("a" * 10, limit=5) == "aaaa…"


def test_a_redirect_is_logged_with_where_it_pointed(receiver, make_subscriber, api, operator):
    make_subscriber(channel=Channel.WEBHOOK, address=receiver.url)
    event = _publish(operator, api)
    receiver.status, receiver.headers = 301, {"Location": "https://new.example.test/hook"}
    _deliver(event)
    [entry] = _log(Delivery.objects.get())
    assert (entry.outcome, entry.code, entry.excerpt) == (
        "retry",
        "HTTP 301",
        "Location: https://new.example.test/hook",
    )


def test_email_tries_keep_the_smtp_servers_reply(smtp_sink, make_subscriber, api, operator):
    make_subscriber(address="ann@example.test")
    make_subscriber(address="nobody@example.test")
    smtp_sink.refuse["nobody@example.test"] = "550 5.1.1 No such user"
    event = _publish(operator, api)
    assert _deliver(event) == {"sent": 1, "retry": 0, "failed": 1, "dead": 0}
    entries = {
        e.delivery.subscriber.address: e
        for e in DeliveryAttempt.objects.select_related("delivery__subscriber")
    }
    sent, refused = entries["ann@example.test"], entries["nobody@example.test"]
    assert (sent.outcome, sent.code, sent.excerpt, sent.message) == ("sent", "SMTP 250", "OK", "")
    assert (refused.outcome, refused.code, refused.excerpt, refused.message) == (
        "failed",
        "SMTP 550",
        "5.1.1 No such user",
        "Recipient refused (550)",
    )
    assert sent.latency_ms is not None and refused.latency_ms is not None


def test_sms_tries_keep_twilios_status_and_sid_or_its_error(
    twilio_stub, make_subscriber, api, operator
):
    make_subscriber(channel=Channel.SMS, address="+14155550123")
    make_subscriber(channel=Channel.SMS, address=INVALID_NUMBER)
    event = _publish(operator, api)
    _deliver(event)
    entries = {
        e.delivery.subscriber.address: e
        for e in DeliveryAttempt.objects.select_related("delivery__subscriber")
    }
    [message] = twilio_stub
    sent, refused = entries["+14155550123"], entries[INVALID_NUMBER]
    assert (sent.outcome, sent.code) == ("sent", "Twilio queued")
    assert sent.excerpt == f"SID {message['sid']}"
    assert (refused.outcome, refused.code, refused.excerpt) == (
        "failed",
        "Twilio 21211",
        "HTTP 400: Unable to create record: The 'To' number is not valid.",
    )


def test_a_timeout_is_logged_with_its_latency_and_no_code(settings, make_subscriber, api, operator):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()  # accepts into the backlog, never answers
    make_subscriber(channel=Channel.WEBHOOK, address=f"http://127.0.0.1:{server.getsockname()[1]}/")
    event = _publish(operator, api)
    _deliver(event)
    server.close()
    [entry] = _log(Delivery.objects.get())
    assert (entry.outcome, entry.code, entry.message, entry.excerpt) == (
        "retry",
        "",
        "Connection timed out",
        "",
    )
    assert 900 <= entry.latency_ms < 5000


def test_a_message_never_sent_is_logged_without_latency(
    smtp_sink, make_subscriber, api, operator, monkeypatch
):
    def broken(*args, **kwargs):
        raise KeyError("missing")

    make_subscriber()
    event = _publish(operator, api)
    monkeypatch.setattr(sending, "build_message", broken)
    _deliver(event)
    [entry] = _log(Delivery.objects.get())
    assert (entry.number, entry.outcome, entry.message, entry.code, entry.latency_ms) == (
        1,
        "retry",
        "Could not render: KeyError",
        "",
        None,
    )


@pytest.mark.parametrize("max_attempts,outcome", [(8, "retry"), (1, "dead")])
def test_the_relay_logs_the_rows_it_takes_back_from_a_stopped_worker(
    max_attempts, outcome, make_subscriber, api, operator, clock, settings
):
    settings.NOTIFY_MAX_ATTEMPTS = max_attempts
    make_subscriber()
    event = _publish(operator, api)
    deliveries_claim(event_id=event.id, limit=10)
    clock.shift(timedelta(seconds=settings.NOTIFY_LEASE_SECONDS + 1))
    deliveries_reclaim_expired()
    [entry] = _log(Delivery.objects.get())
    assert (entry.number, entry.outcome, entry.message, entry.latency_ms) == (
        1,
        outcome,
        LEASE_EXPIRED_ERROR,
        None,
    )


# --- cost -------------------------------------------------------------------------------------


def _add_subscribers(count: int, receiver_url: str) -> None:
    """`count` more active subscribers to all components, alternately email and webhook."""
    start = Subscriber.objects.count()
    Subscriber.objects.bulk_create(
        [
            Subscriber(
                channel=Channel.EMAIL if n % 2 else Channel.WEBHOOK,
                address=f"s{n}@example.test" if n % 2 else f"{receiver_url}?n={n}",
                contact_email="ops@example.test",
                state=SubscriberState.ACTIVE,
                confirmed_at=timezone.now(),
            )
            for n in range(start, start + count)
        ]
    )


def _batch_cost(operator, component) -> tuple[int, int, dict]:
    """Queries of one batch job for the newest event, and how many of them write the log."""
    event = _publish(operator, component)
    with CaptureQueriesContext(connection) as captured:
        counts = delivery.batch_deliver(event_id=event.id)
    inserts = [q for q in captured if q["sql"].startswith(f'INSERT INTO "{ATTEMPT_TABLE}"')]
    return len(captured), len(inserts), counts


def test_a_batch_costs_the_same_queries_for_6_and_80_messages(
    smtp_sink, receiver, operator, api, settings
):
    """Email and webhooks, every one sent: the outbox UPDATE and the log INSERT are one
    statement each per flush, so the query count does not grow with the batch."""
    assert delivery.SENT_FLUSH >= 80
    settings.NOTIFY_HTTP_CONCURRENCY = 8
    costs = []
    for total in (6, 80):
        _add_subscribers(total - Subscriber.objects.count(), receiver.url)
        queries, inserts, counts = _batch_cost(operator, api)
        assert counts["sent"] == total
        costs.append((queries, inserts))
    assert costs[0] == costs[1], f"6 messages: {costs[0]}, 80 messages: {costs[1]}"
    assert costs[0][1] == 1
    assert DeliveryAttempt.objects.filter(outcome="sent").count() == 86


def test_a_batch_larger_than_a_flush_writes_the_log_once_per_flush(
    smtp_sink, receiver, operator, api, monkeypatch
):
    monkeypatch.setattr(batch, "SENT_FLUSH", 10)
    _add_subscribers(25, receiver.url)
    _queries, inserts, counts = _batch_cost(operator, api)
    assert counts["sent"] == 25 and inserts == 3
    assert DeliveryAttempt.objects.count() == 25


# --- retention --------------------------------------------------------------------------------


def _attempt_at(row: Delivery, at) -> DeliveryAttempt:
    return DeliveryAttempt.objects.create(
        delivery=row, number=1, at=at, outcome="retry", message="HTTP 500"
    )


def test_the_hourly_clean_up_purges_attempts_past_their_retention(
    make_subscriber, api, operator, settings
):
    settings.NOTIFY_ATTEMPT_RETENTION_DAYS = 30
    make_subscriber()
    _publish(operator, api)
    row = Delivery.objects.get()
    now = timezone.now()
    old = _attempt_at(row, now - timedelta(days=30, minutes=1))
    kept = _attempt_at(row, now - timedelta(days=29, hours=23))
    assert jobs.expire_and_purge() == {"expired": 0, "purged": 0, "attempts_purged": 1}
    assert list(DeliveryAttempt.objects.values_list("pk", flat=True)) == [kept.pk]
    assert not DeliveryAttempt.objects.filter(pk=old.pk).exists()
    # The outbox row, with its state and last error, stays.
    assert Delivery.objects.filter(pk=row.pk).exists()


def test_the_purge_deletes_in_chunks_until_nothing_old_is_left(
    make_subscriber, api, operator, monkeypatch
):
    monkeypatch.setattr(attempts, "PURGE_CHUNK", 2)
    make_subscriber()
    _publish(operator, api)
    row = Delivery.objects.get()
    for days in (40, 41, 42, 43, 44):
        _attempt_at(row, timezone.now() - timedelta(days=days))
    assert attempts.delivery_attempts_purge() == 5
    assert not DeliveryAttempt.objects.exists()


# --- failures recorded in groups --------------------------------------------------------------


def test_a_batch_of_failures_costs_the_same_queries_for_6_and_80_messages(
    smtp_sink, receiver, operator, api, settings
):
    """Every try fails (email refused, webhooks answer 500): the rows, the endpoints'
    quarantine counts and the log are written a few statements per flush, not per failure."""
    assert delivery.SENT_FLUSH >= 80
    settings.NOTIFY_HTTP_CONCURRENCY = 8
    receiver.status = 500
    costs = []
    for total in (6, 80):
        _add_subscribers(total - Subscriber.objects.count(), receiver.url)
        smtp_sink.refuse = {s: "550 5.1.1 No such user" for s in _emails()}
        event = _publish(operator, api)
        with CaptureQueriesContext(connection) as captured:
            counts = delivery.batch_deliver(event_id=event.id)
        assert counts["sent"] == 0 and counts["failed"] + counts["retry"] == total
        locks = [q for q in captured if "FOR UPDATE" in q["sql"] and "subscriber" in q["sql"]]
        costs.append((len(captured), len(locks)))
    assert costs[0] == costs[1], f"6 messages: {costs[0]}, 80 messages: {costs[1]}"
    if connection.features.has_select_for_update:
        assert costs[0][1] == 1  # one locked read of all the failing endpoints
    rows = Delivery.objects.filter(channel=Channel.WEBHOOK, event=Event.objects.latest("id"))
    assert rows.count() == 40
    assert set(rows.values_list("state", "last_error")) == {(DeliveryState.PENDING, "HTTP 500")}
    assert rows.filter(lease_expires_at__isnull=False).count() == 0
    # Each endpoint failed once per event it was tried for: 6 of them twice.
    webhooks = Subscriber.objects.filter(channel=Channel.WEBHOOK)
    assert sorted(webhooks.values_list("failure_count", flat=True)) == [1] * 37 + [2] * 3
    assert all(len(s.failure_times) == s.failure_count for s in webhooks)


def _emails() -> list[str]:
    return list(Subscriber.objects.filter(channel=Channel.EMAIL).values_list("address", flat=True))
