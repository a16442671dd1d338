"""Reads of the monitors app."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Min, Q, QuerySet

from incidents.enums import COMPONENT_SEVERITY, ComponentStatus
from statuspage.monitors.models import Metric, Monitor, MonitorResult, Resolution, Rollup


def monitors() -> QuerySet[Monitor]:
    """Every monitor with its component and template (one query)."""
    return Monitor.objects.select_related("component", "incident_template").order_by(
        "component__position", "component_id", "name", "id"
    )


def monitor_by_public_id(public_id: str) -> Monitor | None:
    return monitors().filter(public_id=public_id).first()


def monitor_by_pk(pk: int) -> Monitor | None:
    return monitors().filter(pk=pk).first()


def results_recent(monitor: Monitor, *, limit: int = 20) -> list[MonitorResult]:
    return list(
        MonitorResult.objects.filter(monitor=monitor).order_by("-checked_at", "-id")[:limit]
    )


def last_results(monitors: list[Monitor]) -> dict[int, MonitorResult]:
    """Each monitor's newest result (one query per monitor at most a page of them: the
    dashboard lists tens, not thousands)."""
    out: dict[int, MonitorResult] = {}
    for monitor in monitors:
        result = (
            MonitorResult.objects.filter(monitor=monitor).order_by("-checked_at", "-id").first()
        )
        if result is not None:
            out[monitor.pk] = result
    return out


def metrics() -> QuerySet[Metric]:
    """Every custom metric with its component (one query)."""
    return Metric.objects.select_related("component").order_by(
        "component__position", "component_id", "name", "id"
    )


def metric_by_public_id(public_id: str) -> Metric | None:
    return metrics().filter(public_id=public_id).first()


@dataclass(frozen=True)
class MeasuredHour:
    """An hour in which a component's monitors failed: its start (UTC), the down seconds
    measured in it (failed checks x interval, per region, at most the hour) and the outage
    kind the failing monitor sets."""

    start: datetime
    seconds: float
    status: str


@dataclass
class Measured:
    """What a component's monitors measured: since when (their first hourly rollup) and the
    hours with failures in the asked window."""

    since: datetime
    hours: list[MeasuredHour] = field(default_factory=list)


def measured_downtime(
    component_ids: Collection[int], *, start: datetime, end: datetime
) -> dict[int, Measured]:
    """For each component that has enabled monitors with results, its measured down hours
    from `start` to `end`, from the hourly rollups: two queries, whatever the counts. Several
    monitors on one component: each hour counts the one that was down longest (the worst)."""
    if not component_ids:
        return {}
    monitors = {
        row["pk"]: row
        for row in Monitor.objects.filter(component_id__in=component_ids, enabled=True)
        .annotate(first_hour=Min("rollups__start", filter=Q(rollups__resolution=Resolution.HOUR)))
        .filter(first_hour__isnull=False)
        .values("pk", "component_id", "interval_seconds", "regions", "failure_status", "first_hour")
    }
    out: dict[int, Measured] = {}
    for row in monitors.values():
        known = out.get(row["component_id"])
        if known is None or row["first_hour"] < known.since:
            out[row["component_id"]] = Measured(since=row["first_hour"])
    if not out:
        return out
    worst: dict[tuple[int, datetime], MeasuredHour] = {}
    failing = Rollup.objects.filter(
        monitor_id__in=list(monitors),
        resolution=Resolution.HOUR,
        start__gte=start - timedelta(hours=1),
        start__lt=end,
        failed__gt=0,
    ).values_list("monitor_id", "start", "failed")
    for monitor_id, hour, failed in failing:
        row = monitors[monitor_id]
        regions = max(1, len(row["regions"] or []))
        seconds = min(3600.0, failed * row["interval_seconds"] / regions)
        key = (row["component_id"], hour)
        here = MeasuredHour(hour, seconds, row["failure_status"])
        if key not in worst or _heavier(here, worst[key]):
            worst[key] = here
    for (component_id, _), hour_row in sorted(worst.items(), key=lambda kv: kv[1].start):
        out[component_id].hours.append(hour_row)
    return out


def _heavier(a: MeasuredHour, b: MeasuredHour) -> bool:
    return (a.seconds, COMPONENT_SEVERITY[ComponentStatus(a.status)]) > (
        b.seconds,
        COMPONENT_SEVERITY[ComponentStatus(b.status)],
    )
