"""Reads of the monitors app."""

from __future__ import annotations

from django.db.models import QuerySet

from statuspage.monitors.models import Metric, Monitor, MonitorResult


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
