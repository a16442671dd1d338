"""Workers' side of the outbox: claim a batch, render, send, record each attempt.

The retry policy lives here and only here: next_attempt_at with exponential backoff and
jitter; permanent errors fail at once; the last failed try makes the row dead.

A claim is a lease: the rows are the job's until `lease_expires_at`; after that the relay may
give them to another worker. So a job starts no send on a row whose lease is about to end
(`_Batch.claim_lost`), and every write it makes about a row is fenced by the lease it claimed
the row with (`_held`): a job that lost a row to another worker never records over it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import operator
import os
import random
import signal
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from notifications import render
from notifications.models import (
    URL_CHANNELS,
    AttemptOutcome,
    Channel,
    Delivery,
    DeliveryAttempt,
    DeliveryState,
    Event,
    Subscriber,
    SubscriberState,
)
from notifications.services.attempts import (
    SendResult,
    attempt_entry,
    attempts_insert,
    not_sent,
    timed_send,
    timed_send_async,
)
from notifications.services.marks import AcceptedMarks

# Looked up in this module at call time: replacing `delivery.build_message` reaches batches.
from notifications.services.messages import build_message
from notifications.services.outbox import lease_deadline
from notifications.services.subscriptions import (
    OPTED_OUT_ERROR,
    sms_opt_out,
    subscriber_quarantine,
)
from notifications.transports import (
    Outgoing,
    Transport,
    TransportError,
    http_transport_for,
    transport_for,
)
from notifications.transports.sms import OPTED_OUT_CODE
from notifications.transports.webhook import AsyncSender, HttpTransport

log = logging.getLogger(__name__)

QUARANTINE_FAILURES = 10
QUARANTINE_WINDOW = timedelta(hours=1)
# Successes, failures and attempt-log lines are written every SENT_FLUSH tries, a few
# statements in all; meanwhile each accepted message has its mark in Redis
# (notifications/services/marks.py).
SENT_FLUSH = 100

MAX_BACKOFF = timedelta(hours=6)
# A batch job keeps topping up its HTTP window from the outbox for this long (well inside
# RQ's 300 s job timeout and the sending lease); the event's other batch jobs take over after.
HTTP_TOPUP_SECONDS = 120
TOPUP_MIN = 50
WATCHDOG_SECONDS = 0.25
# No send starts this close to the end of its row's lease (a quarter of a shorter lease): a
# send started later could still be running when the relay gives the row to another worker.
# A minute covers the longest single send (Twilio's 15 s, a webhook's total timeout).
SEND_MARGIN = timedelta(seconds=60)


def deliveries_claim(
    *,
    event_id: int,
    limit: int,
    channels: Iterable[str] | None = None,
    lease: datetime | None = None,
) -> list[int]:
    """Atomically move up to `limit` due pending rows of an event (of `channels`, or all)
    to `sending` under a lease that ends at `lease` (by default NOTIFY_LEASE_SECONDS from
    now). A batch job names the lease, so that it loads only the rows it still holds."""
    now = timezone.now()
    table = connection.ops.quote_name(Delivery._meta.db_table)
    # SKIP LOCKED lets concurrent batch jobs on PostgreSQL take disjoint rows without waiting;
    # SQLite serialises writers, so the conditional UPDATE alone is atomic there.
    lock = (
        " FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    )
    channels = list(channels or [])
    only = f" AND channel IN ({', '.join(['%s'] * len(channels))})" if channels else ""
    # The pick is a MATERIALIZED CTE: as a plain `IN (SELECT ... LIMIT n)` PostgreSQL may
    # re-run the subquery per row and claim more than `limit` rows.
    sql = (
        f"WITH picked AS MATERIALIZED (SELECT id FROM {table}"  # noqa: S608
        f" WHERE event_id = %s AND state = %s AND next_attempt_at <= %s{only}"
        # Oldest due first: rows never tried come before retries (whose next_attempt_at
        # lies later), so retries of hanging endpoints never queue ahead of first sends.
        f" ORDER BY next_attempt_at, id LIMIT %s{lock})"
        # The attempt is counted at claim time, so a message that kills its worker every
        # time still runs out of attempts instead of being reclaimed forever.
        f" UPDATE {table} SET state = %s, lease_expires_at = %s, updated_at = %s,"
        " attempts = attempts + 1"
        " WHERE id IN (SELECT id FROM picked) AND state = %s RETURNING id"
    )
    params: list[int | str | datetime | None] = [
        event_id,
        DeliveryState.PENDING,
        now,
        *channels,
        limit,
        DeliveryState.SENDING,
        # Stored exactly as the ORM stores a datetime: writes about the row are fenced by
        # comparing the lease for equality (`_held`).
        _db_time(lease or lease_deadline(now)),
        now,
        DeliveryState.PENDING,
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return sorted(row[0] for row in cursor.fetchall())


def _db_time(value: datetime | None) -> str | datetime | None:
    # A string on SQLite; PostgreSQL's adapter hands the datetime itself to the driver.
    return connection.ops.adapt_datetimefield_value(value)


def _send_margin() -> timedelta:
    return min(SEND_MARGIN, timedelta(seconds=settings.NOTIFY_LEASE_SECONDS) / 4)


def batch_deliver(*, event_id: int) -> dict[str, int]:
    """Claim one batch of an event's deliveries and send it. Returns counts by outcome."""
    with _stop_on_sigterm() as stopping:
        return _batch_deliver(event_id, stopping)


def _batch_deliver(event_id: int, stopping: threading.Event) -> dict[str, int]:
    batch = _Batch(event_id, stopping)
    lease = lease_deadline()
    ids = deliveries_claim(event_id=event_id, limit=settings.NOTIFY_BATCH_SIZE, lease=lease)
    if not ids:
        return batch.counts
    event = Event.objects.select_related(
        "incident", "incident_update", "maintenance", "maintenance_update"
    ).get(pk=event_id)
    view = render.event_view(event)
    rows = batch.load(ids, lease, "channel", "id")
    transports: dict[str, Transport] = {}
    try:
        for row in rows:
            if stopping.is_set():
                break
            if row.channel in URL_CHANNELS:
                continue
            if row.channel not in transports:
                transports[row.channel] = transport_for(row.channel)
            _attempt(batch, row, transports[row.channel], view)
        if not stopping.is_set():
            url_rows = [row for row in rows if row.channel in URL_CHANNELS]
            _HttpWindow(batch, url_rows, view).run()
    finally:
        batch.finish()
        for transport in transports.values():
            transport.close()
    return batch.counts


@dataclass(frozen=True)
class _Failure:
    """A failed try waiting for the next flush: what its row becomes."""

    row: Delivery
    state: str
    next_attempt_at: datetime
    message: str
    at: datetime
    # Whether it counts towards the endpoint's quarantine (a URL channel, not failed for good).
    counts: bool


class _Batch:
    """One batch job's bookkeeping, all on the job's own thread: the rows it holds, each with
    the lease of the claim that gave it to the job; the rows tried; and the successes,
    failures and attempt-log lines waiting for the next flush, each success marked in Redis
    meanwhile (or, once Redis failed a mark, flushed at once)."""

    def __init__(self, event_id: int, stopping: threading.Event) -> None:
        self.event_id = event_id
        self.stopping = stopping
        self.counts: dict[str, int] = dict.fromkeys(AttemptOutcome.values, 0)
        self.leases: dict[int, datetime] = {}
        self.done: set[int] = set()
        self.given_up: list[int] = []
        self.sent: list[Delivery] = []
        self.failed: list[_Failure] = []
        self.log: list[DeliveryAttempt] = []
        self.marks = AcceptedMarks(event_id)
        # Set when Redis failed a mark: from then on each success is flushed at once. (The
        # embedded default has no Redis and keeps the flush per SENT_FLUSH: its batch runs
        # inside the request that posted the update; docs/notifications.md.)
        self.at_once = False

    def load(self, ids: list[int], lease: datetime, *order: str) -> list[Delivery]:
        """The rows claimed under `lease` that it still holds, with their subscribers. A row
        the claim lost in the meantime (its lease ran out, the relay took it back, another
        worker may hold it now) is not this job's to send or to record."""
        held = Delivery.objects.filter(
            id__in=ids, state=DeliveryState.SENDING, lease_expires_at=lease
        )
        rows = list(held.select_related("subscriber").order_by(*order))
        self.leases.update((row.pk, lease) for row in rows)
        return rows

    def claim_lost(self, row: Delivery) -> bool:
        """Whether the row's lease ends too soon to start a send. Past its end the relay may
        give the row to another worker, which sends it: this job must not send it too. A
        row given up is handed back at the end of the batch, if it is still this job's."""
        if self.leases[row.pk] - timezone.now() > _send_margin():
            return False
        log.warning("delivery %s: lease ends too soon to send, handed back", row.pk)
        self.given_up.append(row.pk)
        return True

    def record(self, row: Delivery, outcome: str, result: SendResult) -> None:
        self.counts[outcome] += 1
        self.done.add(row.pk)
        entry = attempt_entry(row, outcome, result)
        self.log.append(entry)
        if outcome == AttemptOutcome.SENT:
            self.sent.append(row)
            # Marked now, confirmed before the next send starts (`before_send`): a worker
            # killed from then on re-sends none of the messages accepted so far.
            if self.marks.available and not self.marks.note(row, entry):
                self.at_once = True
            if self.at_once:
                self.flush()
                return
        if len(self.log) >= SENT_FLUSH:
            self.flush()

    def before_send(self) -> None:
        """No send starts while an accepted message is neither confirmed marked nor in the
        database: if Redis failed its mark, it goes to the database now."""
        if self.marks.unread and not self.marks.confirm():
            self.at_once = True
            self.flush()

    def fail(self, row: Delivery, error: TransportError) -> str:
        """A failed try: its outcome now, its writes at the next flush (`_record_failed`). A
        worker killed before then leaves the row `sending` until the relay takes it back
        after its lease and it is retried, as it would have been anyway."""
        failure = _failure(row, error)
        self.failed.append(failure)
        if row.channel == Channel.SMS and error.code == OPTED_OUT_CODE:
            # Twilio knows of a STOP we never saw (sent before this subscription, or its
            # inbound hook was missed): record it now, so later events skip the number until
            # START.
            sms_opt_out(number=row.subscriber.address)
        return _FAILURE_OUTCOMES[failure.state]

    def flush(self) -> None:
        # One transaction: a worker killed in between leaves no row `sent` or failed without
        # its log line, and the marks go only once all are written.
        with transaction.atomic():
            _record_sent(self.sent)
            _record_failed(self.failed)
            attempts_insert(self.log)
        self.marks.forget(row.pk for row in self.sent)
        self.sent, self.failed, self.log = [], [], []

    def finish(self) -> None:
        """Write what waits for a flush, and hand back the rows never tried: those given up,
        and after SIGTERM every row not done."""
        try:
            self.flush()
            unsent = list(self.given_up)
            if self.stopping.is_set():
                unsent += [pk for pk in self.leases if pk not in self.done]
            _release({pk: self.leases[pk] for pk in unsent})
        finally:
            self.marks.close()


@contextlib.contextmanager
def _stop_on_sigterm() -> Iterator[threading.Event]:
    """RQ's work horse leaves SIGTERM at its default action (die at once), while its parent,
    on SIGTERM, waits for the horse to finish the job (warm shutdown). A SIGTERM that reaches
    the horse itself (a platform that signals every process of a container) would leave the
    claimed rows `sending` until their lease ran out, and the next worker would wait for it.
    Instead the batch stops after the message in hand: what went out is recorded, the rest
    is released. Only where SIGTERM has no handler yet, and only on the main thread."""
    stopping = threading.Event()
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    ):
        yield stopping
        return
    signal.signal(signal.SIGTERM, lambda signum, frame: stopping.set())
    try:
        yield stopping
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if stopping.is_set():
        log.warning("SIGTERM: batch stopped early, unsent rows released")
        from rq import get_current_job

        # An RQ horse exits after this one job anyway; anything else gets its signal back.
        if get_current_job() is None:
            os.kill(os.getpid(), signal.SIGTERM)


def _held(row: Delivery) -> QuerySet[Delivery]:
    """The row, only while it is held under the claim that gave it to this job: once the
    relay took it back, or another worker claimed it (with a lease of its own), it is not."""
    return Delivery.objects.filter(
        pk=row.pk, state=DeliveryState.SENDING, lease_expires_at=row.lease_expires_at
    )


def _release(leases: dict[int, datetime]) -> None:
    """Give claimed rows that were never tried back to the queue, uncounted: those still
    held under this job's claims (row id -> the lease it was claimed with)."""
    if not leases:
        return
    by_lease: dict[datetime, list[int]] = {}
    for pk, lease in leases.items():
        by_lease.setdefault(lease, []).append(pk)
    held = functools.reduce(
        operator.or_, (Q(lease_expires_at=lease, id__in=ids) for lease, ids in by_lease.items())
    )
    now = timezone.now()
    Delivery.objects.filter(held, state=DeliveryState.SENDING).update(
        state=DeliveryState.PENDING,
        lease_expires_at=None,
        attempts=F("attempts") - 1,
        next_attempt_at=now,
        updated_at=now,
    )


def _attempt(batch: _Batch, row: Delivery, transport: Transport, view: render.EventView) -> None:
    """One message of a channel sent in turn (email, SMS): send it and record the try."""
    if batch.claim_lost(row):
        return
    prepared = _prepare(row, view)
    if isinstance(prepared, TransportError):
        result = not_sent(prepared)
    else:
        batch.before_send()
        result = timed_send(functools.partial(transport.send, prepared), row.pk)
    batch.record(row, _outcome(batch, row, result), result)


def _prepare(row: Delivery, view: render.EventView) -> Outgoing | TransportError:
    """The message for a row, or why there is none to send."""
    error = _not_sendable(row)
    if error is not None:
        return error
    try:
        return build_message(row, row.subscriber, view)
    except Exception as exc:  # noqa: BLE001 - one broken message must not stall its batch
        log.exception("delivery %s could not be rendered", row.pk)
        return TransportError(f"Could not render: {type(exc).__name__}")


def _outcome(batch: _Batch, row: Delivery, result: SendResult) -> str:
    """Apply a try to its row and return the outcome; its writes wait for the next flush."""
    if result.error is not None:
        return batch.fail(row, result.error)
    assert result.receipt is not None  # a try that did not fail was answered (timed_send)
    row.provider_id = result.receipt.provider_id[:200]
    return AttemptOutcome.SENT


class _HttpWindow:
    """HTTP endpoints are sent by a sliding window of up to NOTIFY_HTTP_CONCURRENCY POSTs in
    flight on one event loop, which this thread runs while it waits for them; the window is
    topped up from the outbox as sends finish: a hanging endpoint holds one slot (a socket)
    until its first-byte timeout, never the batch, and this job keeps claiming the event's
    due URL rows while slots are free (up to HTTP_TOPUP_SECONDS), so the next rows do not
    wait for the slowest sends of this batch. Only the POSTs run on the loop; rendering,
    signing, claiming and every database write happen between its runs. After SIGTERM
    nothing new is started: the sends in flight finish and the batch releases the rest."""

    def __init__(self, batch: _Batch, rows: list[Delivery], view: render.EventView) -> None:
        self.batch, self.view = batch, view
        self.queue: deque[Delivery] = deque(rows)
        self.inflight: dict[asyncio.Task[SendResult], Delivery] = {}
        self.transports: dict[str, HttpTransport] = {}
        self.concurrency = settings.NOTIFY_HTTP_CONCURRENCY
        self.topup_until = time.monotonic() + HTTP_TOPUP_SECONDS

    def run(self) -> None:
        if not self.queue:
            return
        sender = AsyncSender()
        try:
            while True:
                self._fill(sender)
                if self._top_up():
                    continue
                if not self.inflight and (not self.queue or self.batch.stopping.is_set()):
                    return
                self._collect(sender)
        finally:
            sender.close()

    def _fill(self, sender: AsyncSender) -> None:
        """Start sends while rows wait and slots are free."""
        while (
            self.queue
            and len(self.inflight) < self.concurrency
            and not self.batch.stopping.is_set()
        ):
            row = self.queue.popleft()
            if self.batch.claim_lost(row):
                continue
            prepared = _prepare(row, self.view)
            if isinstance(prepared, TransportError):
                self.batch.record(row, self.batch.fail(row, prepared), not_sent(prepared))
                continue
            transport = self.transports.get(row.channel)
            if transport is None:
                transport = self.transports[row.channel] = http_transport_for(row.channel)
            body, headers = transport.request(prepared)
            self.batch.before_send()
            send = transport.send_async(prepared.address, body, headers)
            self.inflight[sender.submit(timed_send_async(send, row.pk))] = row

    def _top_up(self) -> bool:
        """With the queue empty and slots free, claim more of the event's due URL rows;
        returns whether any came."""
        free = self.concurrency - len(self.inflight)
        if (
            self.queue
            or free <= 0
            or time.monotonic() >= self.topup_until
            or self.batch.stopping.is_set()
        ):
            return False
        lease = lease_deadline()
        more = deliveries_claim(
            event_id=self.batch.event_id,
            limit=min(settings.NOTIFY_BATCH_SIZE, max(free, TOPUP_MIN)),
            channels=URL_CHANNELS,
            lease=lease,
        )
        if not more:
            # Nothing due now: later retries are the relay's and the next batch's.
            self.topup_until = 0.0
            return False
        self.queue.extend(self.batch.load(more, lease, "id"))
        return True

    def _collect(self, sender: AsyncSender) -> None:
        """Run the sends until one ends (at most one watchdog tick, so that SIGTERM is seen)
        and record those that ended."""
        for task in sender.finished(WATCHDOG_SECONDS):
            row = self.inflight.pop(task)
            result = task.result()
            self.batch.record(row, _outcome(self.batch, row, result), result)


def _not_sendable(row: Delivery) -> TransportError | None:
    subscriber = row.subscriber
    # Unsubscribed (or STOPped) after the row was written: never send after unsubscribe.
    if subscriber.state != SubscriberState.ACTIVE:
        return TransportError("Subscriber no longer active", permanent=True)
    if row.channel == Channel.SMS and subscriber.sms_opted_out:
        return TransportError(OPTED_OUT_ERROR, permanent=True)
    return None


def _record_sent(rows: list[Delivery]) -> None:
    """Successes are written in chunks (one query per chunk, not per row). A worker killed
    mid-chunk leaves its rows `sending`; their accepted marks in Redis let the relay record
    them as sent after the lease, so only the message in flight goes out again (without the
    marks, up to SENT_FLUSH rows; the stable Message-ID / webhook-id lets receivers that can
    drop those duplicates)."""
    if not rows:
        return
    # One statement: Django's bulk_update builds a CASE per field and row, which costs more
    # Python time than the sends themselves.
    now = timezone.now()
    table = connection.ops.quote_name(Delivery._meta.db_table)
    values = ", ".join(["(%s, %s, %s)"] * len(rows))
    sql = (
        f"WITH v(id, pid, lease) AS (VALUES {values})"  # noqa: S608
        f" UPDATE {table} SET state = %s, sent_at = %s,"
        " updated_at = %s, lease_expires_at = NULL, last_error = '',"
        f" provider_id = (SELECT pid FROM v WHERE v.id = {table}.id)"
        " WHERE id IN (SELECT id FROM v) AND state = %s"
        # Fenced as `_held`: a row another worker holds now has another lease.
        f" AND lease_expires_at = (SELECT lease FROM v WHERE v.id = {table}.id)"
    )
    params: list[int | str | datetime | None] = [
        x for row in rows for x in (row.pk, row.provider_id, _db_time(row.lease_expires_at))
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, DeliveryState.SENT, now, now, DeliveryState.SENDING])
        # SQLite's driver counts no rows for a statement that starts with WITH (-1).
        lost = len(rows) - cursor.rowcount if cursor.rowcount >= 0 else 0
    if lost:
        log.warning("%d sent deliveries not recorded: another worker holds them now", lost)


def backoff(attempts: int) -> timedelta:
    """Exponential backoff with full jitter between half and the whole step."""
    step = settings.NOTIFY_RETRY_BASE_SECONDS * (2 ** max(0, attempts - 1))
    return min(MAX_BACKOFF, timedelta(seconds=step * random.uniform(0.5, 1.0)))


_FAILURE_OUTCOMES: dict[str, str] = {
    DeliveryState.FAILED: AttemptOutcome.FAILED,
    DeliveryState.DEAD: AttemptOutcome.DEAD,
    DeliveryState.PENDING: AttemptOutcome.RETRY,
}


def _failure(row: Delivery, error: TransportError) -> _Failure:
    """What a failed try makes of its row: failed for good, dead after its last attempt, or
    pending again after a backoff."""
    now = timezone.now()
    attempts = row.attempts  # already counted by the claim
    if error.permanent:
        state, next_at = DeliveryState.FAILED, now
    elif attempts >= settings.NOTIFY_MAX_ATTEMPTS:
        state, next_at = DeliveryState.DEAD, now
    else:
        state, next_at = DeliveryState.PENDING, now + backoff(attempts)
    log.info("delivery %s attempt %s: %s (%s)", row.pk, attempts, error.message, state)
    return _Failure(
        row=row,
        state=state,
        next_attempt_at=next_at,
        message=error.message[:200],
        at=now,
        counts=row.channel in URL_CHANNELS and state != DeliveryState.FAILED,
    )


def _record_failed(failures: list[_Failure]) -> None:
    """Failed tries of a flush: one UPDATE for their rows, fenced by each row's lease as
    `_held` (a row another worker holds now is not written), then the endpoints' quarantine
    counts, one locked read and one write for all of them."""
    if not failures:
        return
    table = connection.ops.quote_name(Delivery._meta.db_table)
    values = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(failures))

    def column(name: str) -> str:
        return f"(SELECT {name} FROM v WHERE v.id = {table}.id)"  # noqa: S608

    sql = (
        f"WITH v(id, lease, st, next_at, err, at) AS (VALUES {values})"  # noqa: S608
        f" UPDATE {table} SET state = {column('st')}, next_attempt_at = {column('next_at')},"
        f" last_error = {column('err')}, updated_at = {column('at')}, lease_expires_at = NULL"
        f" WHERE id IN (SELECT id FROM v) AND state = %s AND lease_expires_at = {column('lease')}"
    )
    params: list[int | str | datetime | None] = [
        x
        for f in failures
        for x in (
            f.row.pk,
            _db_time(f.row.lease_expires_at),
            f.state,
            _db_time(f.next_attempt_at),
            f.message,
            _db_time(f.at),
        )
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, DeliveryState.SENDING])
        lost = len(failures) - cursor.rowcount if cursor.rowcount >= 0 else 0
    if lost:
        log.warning("%d failed deliveries not recorded: another worker holds them now", lost)
    # Counted even for a row lost meanwhile: the endpoint did fail this try.
    endpoint_failures_record([(f.row.subscriber_id, f.message, f.at) for f in failures if f.counts])


def endpoint_failure_record(*, subscriber_id: int, message: str, at: datetime) -> bool:
    """One failure of an endpoint (see `endpoint_failures_record`); returns whether it
    quarantined it."""
    return bool(endpoint_failures_record([(subscriber_id, message, at)]))


def endpoint_failures_record(failures: list[tuple[int, str, datetime]]) -> list[int]:
    """Statuspage's rule: an endpoint failing 10 times within an hour is quarantined (and
    its contact told). Any hour, not a fixed window from the first failure: a window that
    restarted at its end would let a burst straddling the restart through.

    `failures` are (subscriber id, message, when), in the order they happened: each is
    applied in turn exactly as if recorded alone, but the subscribers are read under one
    SELECT ... FOR UPDATE (in id order, so two workers' flushes cannot deadlock) and
    written back with one UPDATE. Returns the subscribers this quarantined."""
    if not failures:
        return []
    by_subscriber: dict[int, list[tuple[float, str]]] = {}
    for subscriber_id, message, at in failures:
        by_subscriber.setdefault(subscriber_id, []).append((at.timestamp(), message))
    window = QUARANTINE_WINDOW.total_seconds()
    quarantined: list[int] = []
    with transaction.atomic():
        subscribers = Subscriber.objects.select_for_update().filter(pk__in=by_subscriber)
        changed: list[tuple[int, list[float]]] = []
        for sub in subscribers.order_by("pk"):
            recent = list(sub.failure_times)
            for now, message in by_subscriber[sub.pk]:
                recent = sorted([*(t for t in recent if now - t < window), now])
                recent = recent[-QUARANTINE_FAILURES:]
                if len(recent) >= QUARANTINE_FAILURES and sub.state == SubscriberState.ACTIVE:
                    subscriber_quarantine(subscriber=sub, last_error=message)
                    sub.state = SubscriberState.QUARANTINED
                    quarantined.append(sub.pk)
            changed.append((sub.pk, recent))
        _save_failure_times(changed)
    return quarantined


def _save_failure_times(changed: list[tuple[int, list[float]]]) -> None:
    """One UPDATE for every subscriber's failure times and count."""
    if not changed:
        return
    table = connection.ops.quote_name(Subscriber._meta.db_table)
    field = Subscriber._meta.get_field("failure_times")
    values = ", ".join(["(%s, %s, %s)"] * len(changed))
    sql = (
        f"WITH v(id, times, n) AS (VALUES {values})"  # noqa: S608
        f" UPDATE {table} SET failure_times = (SELECT times FROM v WHERE v.id = {table}.id),"
        f" failure_count = (SELECT n FROM v WHERE v.id = {table}.id)"
        " WHERE id IN (SELECT id FROM v)"
    )
    params = [
        x
        for pk, times in changed
        for x in (pk, field.get_db_prep_save(times, connection), len(times))
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
