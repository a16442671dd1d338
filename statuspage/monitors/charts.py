"""Reads for the public system-metrics charts: each chartable series (an enabled monitor's
response time, a displayed custom metric) over a day, a week or a month, from the rollups.

A fixed number of queries whatever the number of series or points: the series (two), then
their buckets (two). Windows are fixed steps of UTC time, so every reader (and a publish)
of one step sees the same document."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Q

from incidents.models import Component
from incidents.selectors.shared import shared
from statuspage.monitors.models import Kind, Metric, Monitor, Resolution, Rollup
from statuspage.monitors.rollups import bucket_start


@dataclass(frozen=True)
class Period:
    name: str
    span: timedelta
    resolution: int  # the rollups read
    group: int  # how many of them make one point

    @property
    def step(self) -> int:
        return self.resolution * self.group


PERIODS = {
    "day": Period("day", timedelta(days=1), Resolution.MINUTE, 5),
    "week": Period("week", timedelta(days=7), Resolution.HOUR, 1),
    "month": Period("month", timedelta(days=30), Resolution.HOUR, 4),
}
# Heartbeats are pushed to us: they have no response time.
TIMED_KINDS = (Kind.HTTP, Kind.TCP, Kind.DNS)


@dataclass
class Point:
    start: datetime
    count: int = 0
    failed: int = 0
    total: float = 0.0
    low: float | None = None
    high: float | None = None

    @property
    def mean(self) -> float | None:
        return self.total / self.count if self.count else None


@dataclass
class Series:
    key: str
    name: str
    component: str
    kind: str  # "response_time" or "metric"
    suffix: str
    decimals: int
    y_min: float | None = None
    y_max: float | None = None
    y_hidden: bool = False
    description: str = ""
    points: list[Point] = field(default_factory=list)

    @property
    def values(self) -> list[float]:
        return [p.mean for p in self.points if p.mean is not None]


@shared
def charts_available() -> bool:
    """Whether the page has anything to chart, in one query: the front page links the charts
    only then."""
    return Component.objects.filter(
        Q(monitors__enabled=True, monitors__kind__in=TIMED_KINDS) | Q(metrics__display=True)
    ).exists()


def window(period: Period, now: datetime) -> tuple[datetime, datetime]:
    """[start, end) of the chart: whole steps, ending with the step that holds `now`."""
    end = bucket_start(now, period.step) + timedelta(seconds=period.step)
    return end - period.span, end


def chart_series(period: Period, *, now: datetime) -> list[Series]:
    start, end = window(period, now)
    monitors = list(
        Monitor.objects.filter(enabled=True, kind__in=TIMED_KINDS)
        .select_related("component")
        .order_by("component__position", "component_id", "name", "id")
    )
    metrics = list(
        Metric.objects.filter(display=True)
        .select_related("component")
        .order_by("component__position", "component_id", "name", "id")
    )
    series: dict[tuple[str, int], Series] = {}
    for monitor in monitors:
        series[("monitor", monitor.pk)] = Series(
            key=f"monitor-{monitor.public_id}",
            name=monitor.name,
            component=monitor.component.name,
            kind="response_time",
            suffix="ms",
            decimals=0,
            y_min=0,
        )
    for metric in metrics:
        series[("metric", metric.pk)] = Series(
            key=f"metric-{metric.public_id}",
            name=metric.name,
            component=metric.component.name,
            kind="metric",
            suffix=metric.suffix,
            decimals=metric.decimal_places,
            y_min=metric.y_axis_min,
            y_max=metric.y_axis_max,
            y_hidden=metric.y_axis_hidden,
            description=metric.tooltip_description,
        )
    steps = int((end - start).total_seconds()) // period.step
    for one in series.values():
        one.points = [Point(start + timedelta(seconds=i * period.step)) for i in range(steps)]
    _fill(series, period, start, end, [m.pk for m in monitors], [m.pk for m in metrics])
    return list(series.values())


def _fill(series, period: Period, start, end, monitor_ids: list[int], metric_ids: list[int]):
    if not series:
        return
    rows = Rollup.objects.filter(
        Q(monitor_id__in=monitor_ids) | Q(metric_id__in=metric_ids),
        resolution=period.resolution,
        start__gte=start,
        start__lt=end,
    ).values_list(
        "monitor_id", "metric_id", "start", "count", "failed", "total", "minimum", "maximum"
    )
    grouped: dict[tuple[str, int], list] = defaultdict(list)
    for monitor_id, metric_id, *rest in rows:
        grouped[("monitor", monitor_id) if monitor_id else ("metric", metric_id)].append(rest)
    for key, buckets in grouped.items():
        points = series[key].points
        for at, count, failed, total, low, high in buckets:
            point = points[int((at - start).total_seconds()) // period.step]
            point.count += count
            point.failed += failed
            point.total += total
            if low is not None:
                point.low = low if point.low is None else min(point.low, low)
                point.high = high if point.high is None else max(point.high, high)
