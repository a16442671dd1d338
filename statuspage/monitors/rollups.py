"""The rollup store: per minute, hour and UTC day, the count, sum, minimum and maximum of each
series (a monitor's response time, a custom metric's values), written as each value arrives.

Why a rollup table rather than partitions of the raw rows: a chart of a month reads about 720
hourly rows per series instead of 86,400 raw results (a monitor at a 30 s interval), and the
store is the same on SQLite and PostgreSQL. Raw rows are kept RAW_DAYS for the dashboard's
recent results; each resolution is kept as long as a chart or a report can ask for it
(KEEP_DAYS), pruned by `prune` from the monitors' periodic tick.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F, FloatField, QuerySet, Value
from django.db.models.functions import Coalesce, Greatest, Least

from statuspage.monitors.models import MetricPoint, MonitorResult, Resolution, Rollup

RAW_DAYS = 7
# Minutes feed the day chart (and a week of detail); hours the week and month charts and
# 13 months of history; days the long reports.
KEEP_DAYS = {
    Resolution.MINUTE: 35,
    Resolution.HOUR: 400,
    Resolution.DAY: 5 * 366,
}


def bucket_start(at: datetime, resolution: int) -> datetime:
    """The start of the bucket of width `resolution` seconds that holds `at` (UTC: buckets
    are the same on every machine and never shift with a page's daylight saving)."""
    epoch = int(at.timestamp())
    return datetime.fromtimestamp(epoch - epoch % resolution, tz=UTC)


def rollup_add(
    *,
    monitor_id: int | None = None,
    metric_id: int | None = None,
    points: Iterable[tuple[datetime, float | None]],
) -> None:
    """Count `points` into every resolution's buckets of one series (a None value: a failed
    check). The caller makes sure a value is counted once (a result's slot, a metric point's
    instant are unique)."""
    assert (monitor_id is None) != (metric_id is None)
    buckets: dict[tuple[int, datetime], list[float | None]] = defaultdict(list)
    for at, value in points:
        for resolution in Resolution.values:
            buckets[(resolution, bucket_start(at, resolution))].append(value)
    series: dict[str, int | None] = (
        {"monitor_id": monitor_id} if monitor_id is not None else {"metric_id": metric_id}
    )
    for (resolution, start), values in sorted(buckets.items()):
        _bucket_add(series, resolution, start, values)


def _bucket_add(
    series: dict[str, int | None], resolution: int, start: datetime, points: list[float | None]
) -> None:
    values = [v for v in points if v is not None]
    failed = len(points) - len(values)
    low, high = (min(values), max(values)) if values else (None, None)
    existing = Rollup.objects.filter(**series, resolution=resolution, start=start)
    if _increment(existing, values, failed, low, high):
        return
    try:
        # A savepoint: a concurrent writer that created the bucket first leaves this
        # transaction usable, and its row is then incremented.
        with transaction.atomic():
            Rollup.objects.create(
                **series,
                resolution=resolution,
                start=start,
                count=len(values),
                failed=failed,
                total=sum(values),
                minimum=low,
                maximum=high,
            )
    except IntegrityError:
        _increment(existing, values, failed, low, high)


def _increment(
    existing: QuerySet[Rollup],
    values: list[float],
    failed: int,
    low: float | None,
    high: float | None,
) -> bool:
    changes: dict[str, Any] = {
        "count": F("count") + len(values),
        "failed": F("failed") + failed,
        "total": F("total") + sum(values),
    }
    if low is not None:
        # Coalesce: SQLite's MIN/MAX of a NULL is NULL (PostgreSQL's LEAST skips it).
        changes["minimum"] = Least(
            Coalesce(F("minimum"), Value(low, output_field=FloatField())),
            Value(low, output_field=FloatField()),
        )
        changes["maximum"] = Greatest(
            Coalesce(F("maximum"), Value(high, output_field=FloatField())),
            Value(high, output_field=FloatField()),
        )
    return existing.update(**changes) == 1


def prune(*, now: datetime) -> dict[str, int]:
    """Delete raw rows older than RAW_DAYS and each resolution's rollups past KEEP_DAYS."""
    raw_before = now - timedelta(days=RAW_DAYS)
    out = {
        "results": MonitorResult.objects.filter(checked_at__lt=raw_before).delete()[0],
        "points": MetricPoint.objects.filter(at__lt=raw_before).delete()[0],
    }
    for resolution, days in KEEP_DAYS.items():
        deleted, _ = Rollup.objects.filter(
            resolution=resolution, start__lt=now - timedelta(days=days)
        ).delete()
        out[resolution.label] = deleted
    return out


def rollup_add_results(results: Sequence[MonitorResult]) -> None:
    """Count a batch of check results into every resolution's buckets: one upsert statement
    for the whole batch (split only where the database caps a statement's parameters). Each
    result is counted once: the caller passes only rows it has just inserted."""
    buckets: dict[tuple[int, int, datetime], list[float | None]] = defaultdict(list)
    for result in results:
        latency = float(result.latency_ms) if result.ok and result.latency_ms is not None else None
        for resolution in Resolution.values:
            start = bucket_start(result.checked_at, resolution)
            buckets[(result.monitor_id, resolution, start)].append(latency)
    rows = []
    for (monitor_id, resolution, start), points in sorted(buckets.items()):
        values = [v for v in points if v is not None]
        rows.append(
            (
                monitor_id,
                resolution,
                start,
                len(values),
                len(points) - len(values),
                sum(values),
                min(values) if values else None,
                max(values) if values else None,
            )
        )
    per_row = len(rows[0]) if rows else 1
    cap = connection.features.max_query_params or 65535
    step = max(1, cap // per_row)
    with connection.cursor() as cursor:
        for i in range(0, len(rows), step):
            chunk = rows[i : i + step]
            cursor.execute(_upsert_sql(len(chunk)), [v for row in chunk for v in _adapt(row)])


def _adapt(row: tuple[Any, ...]) -> tuple[Any, ...]:
    # The connection's own adapter for the bucket's start (SQLite stores text).
    start = connection.ops.adapt_datetimefield_value(row[2])
    return (*row[:2], start, *row[3:])


def _upsert_sql(rows: int) -> str:
    """INSERT … ON CONFLICT DO UPDATE, which PostgreSQL and SQLite (3.24+) both speak, on
    the partial unique index of monitor buckets. The minimum and maximum merge with CASE:
    LEAST/GREATEST are PostgreSQL's, and SQLite's MIN/MAX of a NULL is NULL."""
    table = connection.ops.quote_name(Rollup._meta.db_table)
    one = "(%s, NULL, %s, %s, %s, %s, %s, %s, %s)"
    # Only the table's own name and placeholders are formatted in; the values are parameters.
    return (
        f"INSERT INTO {table} (monitor_id, metric_id, resolution,"  # noqa: S608
        " start, count, failed, total, minimum, maximum)"
        f" VALUES {', '.join([one] * rows)}"
        " ON CONFLICT (monitor_id, resolution, start) WHERE monitor_id IS NOT NULL DO UPDATE SET"
        f" count = {table}.count + excluded.count,"
        f" failed = {table}.failed + excluded.failed,"
        f" total = {table}.total + excluded.total,"
        f" minimum = CASE WHEN excluded.minimum IS NULL THEN {table}.minimum"
        f" WHEN {table}.minimum IS NULL OR excluded.minimum < {table}.minimum"
        f" THEN excluded.minimum ELSE {table}.minimum END,"
        f" maximum = CASE WHEN excluded.maximum IS NULL THEN {table}.maximum"
        f" WHEN {table}.maximum IS NULL OR excluded.maximum > {table}.maximum"
        f" THEN excluded.maximum ELSE {table}.maximum END"
    )
