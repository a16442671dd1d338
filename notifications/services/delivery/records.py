"""What a flush writes: the rows sent, the rows failed (with the retry policy: exponential
backoff with jitter, permanent errors failed at once, the last try dead) and the endpoints'
quarantine counts. Every row write is fenced by the lease the row was claimed with."""

from __future__ import annotations

import json
import logging
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from notifications.models import (
    URL_CHANNELS,
    AttemptOutcome,
    Delivery,
    DeliveryState,
    Subscriber,
    SubscriberState,
)
from notifications.services.delivery.claim import db_time
from notifications.services.subscriptions import subscriber_quarantine
from notifications.transports import TransportError

log = logging.getLogger(__name__)

QUARANTINE_FAILURES = 10
QUARANTINE_WINDOW = timedelta(hours=1)
MAX_BACKOFF = timedelta(hours=6)


@dataclass(frozen=True)
class Failure:
    """A failed try waiting for the next flush: what its row becomes."""

    row: Delivery
    state: str
    next_attempt_at: datetime
    message: str
    at: datetime
    # Whether it counts towards the endpoint's quarantine (a URL channel, not failed for good).
    counts: bool


def record_sent(rows: list[Delivery]) -> None:
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
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(*_sent_postgresql(rows, now))
        else:
            cursor.execute(*_sent_values(rows, now))
        # SQLite's driver counts no rows for a statement that starts with WITH (-1).
        lost = len(rows) - cursor.rowcount if cursor.rowcount >= 0 else 0
    if lost:
        log.warning("%d sent deliveries not recorded: another worker holds them now", lost)


_TABLE = Delivery._meta.db_table
_Param = int | str | datetime | None


def _sent_postgresql(rows: list[Delivery], now: datetime) -> tuple[str, list[_Param]]:
    """The rows as one JSON parameter (id, provider id, lease): a statement of more than
    50 parameters is parsed by the driver anew for every flush, and its 300 placeholders
    cost a worker more CPU than the statement's share of the messages."""
    table = connection.ops.quote_name(_TABLE)
    sql = (
        f"UPDATE {table} SET state = %s, sent_at = %s, updated_at = %s,"  # noqa: S608
        " lease_expires_at = NULL, last_error = '', provider_id = v.pid"
        " FROM (SELECT (e->>0)::bigint AS id, e->>1 AS pid, (e->>2)::timestamptz AS lease"
        " FROM json_array_elements(%s::json) AS e) AS v"
        f" WHERE {table}.id = v.id AND {table}.state = %s"
        # Fenced as `_held`: a row another worker holds now has another lease. ISO 8601
        # with microseconds and offset: the very instant the claim stored.
        f" AND {table}.lease_expires_at = v.lease"
    )
    # A batch's rows share one lease or a few (every row is held under one: never None).
    leases = {
        lease: lease and lease.isoformat() for lease in {row.lease_expires_at for row in rows}
    }
    values = [(row.pk, row.provider_id, leases[row.lease_expires_at]) for row in rows]
    return sql, [
        DeliveryState.SENT,
        now,
        now,
        json.dumps(values, separators=(",", ":")),
        DeliveryState.SENDING,
    ]


def _sent_values(rows: list[Delivery], now: datetime) -> tuple[str, list[_Param]]:
    """The rows as a VALUES list (SQLite)."""
    table = connection.ops.quote_name(_TABLE)
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
    leases = {row.lease_expires_at: db_time(row.lease_expires_at) for row in rows}
    params: list[_Param] = [
        x for row in rows for x in (row.pk, row.provider_id, leases[row.lease_expires_at])
    ]
    return sql, [*params, DeliveryState.SENT, now, now, DeliveryState.SENDING]


def backoff(attempts: int) -> timedelta:
    """Exponential backoff with full jitter between half and the whole step."""
    step = settings.NOTIFY_RETRY_BASE_SECONDS * (2 ** max(0, attempts - 1))
    return min(MAX_BACKOFF, timedelta(seconds=step * random.uniform(0.5, 1.0)))


FAILURE_OUTCOMES: dict[str, str] = {
    DeliveryState.FAILED: AttemptOutcome.FAILED,
    DeliveryState.DEAD: AttemptOutcome.DEAD,
    DeliveryState.PENDING: AttemptOutcome.RETRY,
}


def failure_for(row: Delivery, error: TransportError) -> Failure:
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
    return Failure(
        row=row,
        state=state,
        next_attempt_at=next_at,
        message=error.message[:200],
        at=now,
        counts=row.channel in URL_CHANNELS and state != DeliveryState.FAILED,
    )


def record_failed(failures: list[Failure]) -> None:
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
            db_time(f.row.lease_expires_at),
            f.state,
            db_time(f.next_attempt_at),
            f.message,
            db_time(f.at),
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
