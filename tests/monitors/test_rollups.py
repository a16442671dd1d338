"""The rollup store: each value counted once into its minute, hour and day; what a check
result adds; what the hourly prune keeps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from statuspage.monitors.checks import Outcome
from statuspage.monitors.jobs import monitors_prune
from statuspage.monitors.models import MetricPoint, MonitorResult, Resolution, Rollup
from statuspage.monitors.rollups import bucket_start, rollup_add
from statuspage.monitors.services import result_record

T0 = datetime(2026, 11, 18, 11, 59, 30, tzinfo=UTC)


def _bucket(monitor, resolution, start):
    return Rollup.objects.get(monitor=monitor, resolution=resolution, start=start)


@pytest.mark.parametrize(
    ("at", "resolution", "start"),
    [
        (T0, Resolution.MINUTE, datetime(2026, 11, 18, 11, 59, tzinfo=UTC)),
        (T0, Resolution.HOUR, datetime(2026, 11, 18, 11, tzinfo=UTC)),
        (T0, Resolution.DAY, datetime(2026, 11, 18, tzinfo=UTC)),
        # 29 February and a year's end fall in their own UTC day.
        (
            datetime(2028, 2, 29, 23, 59, 59, tzinfo=UTC),
            Resolution.DAY,
            datetime(2028, 2, 29, tzinfo=UTC),
        ),
        (
            datetime(2026, 12, 31, 23, 0, tzinfo=UTC),
            Resolution.HOUR,
            datetime(2026, 12, 31, 23, tzinfo=UTC),
        ),
    ],
)
def test_buckets_start_on_utc_boundaries(at, resolution, start):
    assert bucket_start(at, resolution) == start


def test_values_are_counted_into_every_resolution(make_monitor):
    monitor = make_monitor(kind="tcp", host="127.0.0.1", port=9)
    rollup_add(monitor_id=monitor.pk, points=[(T0, 120.0), (T0 + timedelta(seconds=20), 80.0)])
    rollup_add(monitor_id=monitor.pk, points=[(T0 + timedelta(seconds=40), 400.0), (T0, None)])
    minute_a = _bucket(monitor, Resolution.MINUTE, datetime(2026, 11, 18, 11, 59, tzinfo=UTC))
    assert (minute_a.count, minute_a.failed, minute_a.total) == (2, 1, 200.0)
    assert (minute_a.minimum, minute_a.maximum) == (80.0, 120.0)
    hour = _bucket(monitor, Resolution.HOUR, datetime(2026, 11, 18, 11, tzinfo=UTC))
    assert (hour.count, hour.failed, hour.total) == (2, 1, 200.0)
    day = _bucket(monitor, Resolution.DAY, datetime(2026, 11, 18, tzinfo=UTC))
    assert (day.count, day.failed, day.total) == (3, 1, 600.0)
    assert (day.minimum, day.maximum, day.mean) == (80.0, 400.0, 200.0)
    # 12:00:10 starts a new minute and a new hour, not a new day.
    assert Rollup.objects.filter(monitor=monitor, resolution=Resolution.MINUTE).count() == 2
    assert Rollup.objects.filter(monitor=monitor, resolution=Resolution.HOUR).count() == 2
    assert Rollup.objects.filter(monitor=monitor, resolution=Resolution.DAY).count() == 1


def test_a_bucket_of_failures_only_has_no_minimum_until_a_value_comes(make_monitor):
    monitor = make_monitor(kind="tcp", host="127.0.0.1", port=9)
    rollup_add(monitor_id=monitor.pk, points=[(T0, None)])
    minute = datetime(2026, 11, 18, 11, 59, tzinfo=UTC)
    assert _bucket(monitor, Resolution.MINUTE, minute).minimum is None
    rollup_add(monitor_id=monitor.pk, points=[(T0, 50.0)])
    row = _bucket(monitor, Resolution.MINUTE, minute)
    assert (row.count, row.failed, row.minimum, row.maximum) == (1, 1, 50.0, 50.0)


def test_a_result_is_rolled_up_once_and_a_late_duplicate_adds_nothing(make_monitor):
    monitor = make_monitor(kind="tcp", host="127.0.0.1", port=9)
    up = Outcome(ok=True, latency_ms=42, detail="200")
    assert result_record(monitor_id=monitor.pk, region="default", slot=7, outcome=up, at=T0)
    assert not result_record(monitor_id=monitor.pk, region="default", slot=7, outcome=up, at=T0)
    down = Outcome(ok=False, latency_ms=None, detail="refused")
    result_record(monitor_id=monitor.pk, region="default", slot=8, outcome=down, at=T0)
    day = _bucket(monitor, Resolution.DAY, datetime(2026, 11, 18, tzinfo=UTC))
    assert (day.count, day.failed, day.total) == (1, 1, 42.0)


def test_prune_keeps_raw_rows_a_week_and_hours_past_13_months(make_monitor, clock):
    monitor = make_monitor(kind="tcp", host="127.0.0.1", port=9)
    now = datetime(2026, 11, 18, 12, tzinfo=UTC)
    for age in (timedelta(days=6), timedelta(days=8)):
        MonitorResult.objects.create(
            monitor=monitor,
            region="default",
            slot=int((now - age).timestamp()),
            ok=True,
            checked_at=now - age,
        )
    thirteen_months = now - timedelta(days=396)
    rollup_add(
        monitor_id=monitor.pk, points=[(thirteen_months, 10.0), (now - timedelta(days=40), 5.0)]
    )
    clock.move_to(now)
    monitors_prune()
    assert [r.checked_at for r in MonitorResult.objects.all()] == [now - timedelta(days=6)]
    kept = set(Rollup.objects.values_list("resolution", "start"))
    assert (Resolution.HOUR, bucket_start(thirteen_months, Resolution.HOUR)) in kept
    assert (Resolution.DAY, bucket_start(thirteen_months, Resolution.DAY)) in kept
    # Minutes are the day chart's detail: a month and a bit.
    assert (Resolution.MINUTE, bucket_start(thirteen_months, Resolution.MINUTE)) not in kept
    assert (
        Resolution.MINUTE,
        bucket_start(now - timedelta(days=40), Resolution.MINUTE),
    ) not in kept
    assert MetricPoint.objects.count() == 0
