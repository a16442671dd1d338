"""Claims are leases: a batch job's rows are its own until `lease_expires_at`, after which the
relay may give them to another worker. Every write about a claimed row is fenced by comparing
its lease for equality, so a job that lost a row never records over the next holder's."""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from notifications.models import Delivery, DeliveryState
from notifications.services.outbox import lease_deadline

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
        db_time(lease or lease_deadline(now)),
        now,
        DeliveryState.PENDING,
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        return sorted(row[0] for row in cursor.fetchall())


def db_time(value: datetime | None) -> str | datetime | None:
    # A string on SQLite; PostgreSQL's adapter hands the datetime itself to the driver.
    return connection.ops.adapt_datetimefield_value(value)


def send_margin() -> timedelta:
    return min(SEND_MARGIN, timedelta(seconds=settings.NOTIFY_LEASE_SECONDS) / 4)


def release(leases: dict[int, datetime]) -> None:
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
