"""The attempt log: one DeliveryAttempt row per try, written in bulk, kept for a while.

The batch job collects a try's entry as the try ends and writes the entries of up to
SENT_FLUSH tries with one INSERT, next to the one UPDATE that records their successes: the
log costs one statement per flush, however many messages a batch holds.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from django.conf import settings
from django.db import connection
from django.utils import timezone

from notifications.models import AttemptOutcome, Delivery, DeliveryAttempt
from notifications.transports import Receipt, Reply, TransportError

log = logging.getLogger(__name__)

# Rows per DELETE of the retention purge: short statements, so the purge never holds locks
# on the table for long while a fan-out is writing to it.
PURGE_CHUNK = 10_000


@dataclass(frozen=True)
class SendResult:
    """One try as it happened: when it started, how long the provider took to answer
    (None: nothing was sent), and either the provider's receipt or the error."""

    started_at: datetime
    latency_ms: int | None = None
    receipt: Receipt | None = None
    error: TransportError | None = None

    @property
    def reply(self) -> Reply:
        if self.receipt is not None:
            return self.receipt.reply
        return self.error.reply if self.error is not None else Reply()


def not_sent(error: TransportError) -> SendResult:
    """A try that ended before anything was sent (subscriber gone, message not rendered)."""
    return SendResult(started_at=timezone.now(), error=error)


def timed_send(send: Callable[[], Receipt], delivery_id: int) -> SendResult:
    """Run one send and time it. Safe in a worker thread: it touches no database."""
    started_at, began = timezone.now(), time.monotonic()
    receipt, error = None, None
    try:
        receipt = send()
    except TransportError as exc:
        error = exc
    except Exception as exc:  # noqa: BLE001 - one odd message must not end the whole batch
        log.exception("delivery %s could not be sent", delivery_id)
        error = TransportError(f"Could not send: {type(exc).__name__}")
    latency_ms = round((time.monotonic() - began) * 1000)
    return SendResult(started_at=started_at, latency_ms=latency_ms, receipt=receipt, error=error)


async def timed_send_async(send: Awaitable[Receipt], delivery_id: int) -> SendResult:
    """`timed_send` for a send that is a coroutine (on the batch's event loop)."""
    started_at, began = timezone.now(), time.monotonic()
    receipt, error = None, None
    try:
        receipt = await send
    except TransportError as exc:
        error = exc
    except Exception as exc:  # noqa: BLE001 - one odd message must not end the whole batch
        log.exception("delivery %s could not be sent", delivery_id)
        error = TransportError(f"Could not send: {type(exc).__name__}")
    latency_ms = round((time.monotonic() - began) * 1000)
    return SendResult(started_at=started_at, latency_ms=latency_ms, receipt=receipt, error=error)


class Attempt(NamedTuple):
    """One attempt-log line before it is written: `attempts_insert` writes many in one
    statement. A tuple, not an unsaved DeliveryAttempt: a model instance per try cost a
    worker more than the line's share of the INSERT."""

    delivery_id: int
    number: int
    at: datetime
    outcome: str
    code: str = ""
    latency_ms: int | None = None
    message: str = ""
    excerpt: str = ""


def attempt_entry(row: Delivery, outcome: str, result: SendResult) -> Attempt:
    """The log line of one try (`attempts_insert` writes them in bulk)."""
    reply = result.reply
    return Attempt(
        row.pk,
        row.attempts,
        result.started_at,
        outcome,
        reply.code,
        result.latency_ms,
        result.error.message if result.error is not None else "",
        # Already one printable line of at most EXCERPT_CHARS (`Reply`).
        reply.text,
    )


def attempts_insert(entries: Sequence[Attempt]) -> None:
    """One INSERT for all of them (Django splits it only past the database's limit on
    parameters per statement). On PostgreSQL the lines go as one parameter, a JSON array of
    arrays: `bulk_create`'s 800 placeholders per 100 lines, and then eight column arrays,
    each quoted element by element by the driver, cost a worker more CPU than the lines'
    share of sending the messages (and a statement of more than 50 parameters is parsed by
    the driver anew each time)."""
    if not entries:
        return
    if connection.vendor != "postgresql":
        DeliveryAttempt.objects.bulk_create(DeliveryAttempt(**e._asdict()) for e in entries)
        return
    table = connection.ops.quote_name(DeliveryAttempt._meta.db_table)
    sql = (
        f"INSERT INTO {table}"  # noqa: S608 - the model's own table name
        " (delivery_id, number, at, outcome, code, latency_ms, message, excerpt)"
        " SELECT (e->>0)::bigint, (e->>1)::integer, (e->>2)::timestamptz, e->>3, e->>4,"
        " (e->>5)::integer, e->>6, e->>7 FROM json_array_elements(%s::json) AS e"
    )
    # ISO 8601 with the offset and microseconds: timestamptz reads back the same instant.
    lines = [(*e[:2], e.at.isoformat(), *e[3:]) for e in entries]
    with connection.cursor() as cursor:
        cursor.execute(sql, [json.dumps(lines, separators=(",", ":"))])


def lease_expired_entries(rows: list[tuple[int, int, str]], *, at: datetime, message: str) -> None:
    """Log lines for rows the relay took back from a worker that stopped mid-send:
    (delivery id, attempt number, state the row went to)."""
    attempts_insert(
        [
            Attempt(
                delivery_id=pk,
                number=number,
                at=at,
                outcome=AttemptOutcome.DEAD if state == "dead" else AttemptOutcome.RETRY,
                message=message,
            )
            for pk, number, state in rows
        ]
    )


def delivery_attempts_purge(*, now: datetime | None = None) -> int:
    """Delete log lines older than NOTIFY_ATTEMPT_RETENTION_DAYS, in chunks; returns how
    many. The delivery rows themselves, with their state and last error, stay."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.NOTIFY_ATTEMPT_RETENTION_DAYS)
    old = DeliveryAttempt.objects.filter(at__lt=cutoff)
    purged = 0
    while True:
        ids = list(old.values_list("id", flat=True)[:PURGE_CHUNK])
        if not ids:
            return purged
        deleted, _ = DeliveryAttempt.objects.filter(id__in=ids).delete()
        purged += deleted
