"""Custom metrics, fed through Statuspage's metrics API: what a metric may be, and its data
points, counted once each into the rollup store that the monitors' response times use.
Refusals are ServiceError(field=) (an API 422 naming the field)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from incidents.models import Component
from incidents.services import Actor, ServiceError, audit_record, audit_snapshot, public_changed
from statuspage.monitors.models import Metric, MetricPoint, Rollup
from statuspage.monitors.rollups import rollup_add

# As Statuspage: points up to 28 days old; a little ahead for clocks that run fast.
PAST_DAYS = 28
FUTURE_SECONDS = 300
# Points in one request, all metrics together.
MAX_POINTS = 10_000

METRIC_FIELDS: dict[str, Any] = {
    "name": "",
    "component_id": "",
    "metric_identifier": "",
    "suffix": "",
    "tooltip_description": "",
    "display": True,
    "decimal_places": 0,
    "y_axis_min": None,
    "y_axis_max": None,
    "y_axis_hidden": False,
}
_AUDITED = [name for name in METRIC_FIELDS if name != "component_id"]


def metric_save(*, actor: Actor, metric: Metric | None, data: Mapping[str, Any]) -> Metric:
    """Create (metric=None) or change a metric; what `data` leaves out keeps its value.
    Public: the chart page lists displayed metrics, so the public documents change."""
    fields = _clean(data, metric)
    with transaction.atomic():
        before = None
        if metric is None:
            metric = Metric()
        else:
            metric = Metric.objects.select_for_update().get(pk=metric.pk)
            before = audit_snapshot(metric, _AUDITED)
        for name, value in fields.items():
            setattr(metric, name, value)
        metric.save()
        audit_record(
            actor=actor,
            action="metric.update" if before else "metric.create",
            obj=metric,
            before=before,
            after=audit_snapshot(metric, _AUDITED),
        )
        public_changed()
    return metric


def metric_delete(*, actor: Actor, metric: Metric) -> None:
    with transaction.atomic():
        audit_record(
            actor=actor, action="metric.delete", obj=metric, before=audit_snapshot(metric, _AUDITED)
        )
        metric.delete()
        public_changed()


def metric_data_reset(*, actor: Actor, metric: Metric) -> None:
    """Forget every point of a metric, raw and rolled up (Statuspage's "reset data")."""
    with transaction.atomic():
        Metric.objects.select_for_update().filter(pk=metric.pk).first()
        audit_record(actor=actor, action="metric.reset", obj=metric)
        MetricPoint.objects.filter(metric=metric).delete()
        Rollup.objects.filter(metric=metric).delete()
        Metric.objects.filter(pk=metric.pk).update(most_recent_data_at=None)
        metric.most_recent_data_at = None


def metric_data_add(
    *, points_by_metric: Mapping[Metric, list[tuple[datetime, float]]]
) -> dict[Metric, list[tuple[datetime, float]]]:
    """Keep new data points and count them into the rollups; a point at an instant the metric
    already has is ignored (a client that retries does not count twice). Returns the points
    kept, per metric. The metric's row is locked, so two writers of one metric queue."""
    kept: dict[Metric, list[tuple[datetime, float]]] = {}
    with transaction.atomic():
        for metric, points in points_by_metric.items():
            Metric.objects.select_for_update().filter(pk=metric.pk).first()
            unique = dict(points)  # the last value given for one instant
            seen = set(
                MetricPoint.objects.filter(metric=metric, at__in=list(unique)).values_list(
                    "at", flat=True
                )
            )
            new = sorted((at, v) for at, v in unique.items() if at not in seen)
            MetricPoint.objects.bulk_create(
                [MetricPoint(metric=metric, at=at, value=v) for at, v in new]
            )
            if new:
                rollup_add(metric_id=metric.pk, points=new)
                latest = max(at for at, _ in new)
                if metric.most_recent_data_at is None or latest > metric.most_recent_data_at:
                    Metric.objects.filter(pk=metric.pk).update(most_recent_data_at=latest)
                    metric.most_recent_data_at = latest
            kept[metric] = new
    return kept


def data_point(raw: Any, *, field: str, now: datetime | None = None) -> tuple[datetime, float]:
    """One `{"timestamp": <unix seconds>, "value": <number>}` as Statuspage takes it (form
    bodies send both as text). Raises ServiceError naming `field`."""
    if not isinstance(raw, Mapping):
        raise ServiceError(f"{field} must be an object with timestamp and value.", field=field)
    unknown = sorted(set(raw) - {"timestamp", "value"})
    if unknown:
        raise ServiceError(f"Unknown field: {field}.{unknown[0]}.", field=field)
    stamp = _number(raw.get("timestamp"), f"{field}.timestamp")
    value = _number(raw.get("value"), f"{field}.value")
    now = now or timezone.now()
    if (
        not (now - timedelta(days=PAST_DAYS)).timestamp()
        <= stamp
        <= now.timestamp() + (FUTURE_SECONDS)
    ):
        raise ServiceError(
            f"{field}.timestamp must be a Unix time within the last {PAST_DAYS} days.",
            field=f"{field}.timestamp",
        )
    return datetime.fromtimestamp(int(stamp), tz=UTC), value


def _number(raw: Any, field: str) -> float:
    if isinstance(raw, bool) or raw is None:
        raise ServiceError(f"{field} must be a number.", field=field)
    if isinstance(raw, str):
        try:
            raw = float(raw.strip())
        except ValueError:
            raise ServiceError(f"{field} must be a number.", field=field) from None
    if not isinstance(raw, int | float) or not math.isfinite(raw) or abs(raw) > 1e15:
        raise ServiceError(f"{field} must be a finite number.", field=field)
    return float(raw)


def _clean(data: Mapping[str, Any], metric: Metric | None) -> dict[str, Any]:
    unknown = sorted(set(data) - set(METRIC_FIELDS))
    if unknown:
        raise ServiceError(f"Unknown field: {unknown[0]}.", field=unknown[0])
    current = dict(METRIC_FIELDS)
    if metric is not None:
        current = {name: getattr(metric, name, None) for name in METRIC_FIELDS}
        current["component_id"] = metric.component.public_id
    values = {**current, **data}
    out: dict[str, Any] = {
        "name": _text(values, "name", 100, required=True),
        "metric_identifier": _text(values, "metric_identifier", 200),
        "suffix": _text(values, "suffix", 20),
        "tooltip_description": _text(values, "tooltip_description", 300),
        "display": _flag(values, "display"),
        "y_axis_hidden": _flag(values, "y_axis_hidden"),
    }
    places = values.get("decimal_places")
    if isinstance(places, str) and places.strip().isdigit():
        places = int(places)
    if isinstance(places, bool) or not isinstance(places, int) or not 0 <= places <= 4:
        raise ServiceError(
            "decimal_places must be a whole number from 0 to 4.", field="decimal_places"
        )
    out["decimal_places"] = places
    for name in ("y_axis_min", "y_axis_max"):
        raw = values.get(name)
        out[name] = None if raw in (None, "") else _number(raw, name)
    if None not in (out["y_axis_min"], out["y_axis_max"]) and (
        out["y_axis_min"] >= out["y_axis_max"]
    ):
        raise ServiceError("y_axis_max must be above y_axis_min.", field="y_axis_max")
    ref = values.get("component_id")
    component = Component.objects.filter(public_id=ref).first() if isinstance(ref, str) else None
    if component is None:
        raise ServiceError("Choose the component the metric is shown under.", field="component_id")
    out["component"] = component
    return out


def _text(values: Mapping[str, Any], name: str, limit: int, *, required: bool = False) -> str:
    value = values.get(name)
    value = "" if value is None else value
    if not isinstance(value, str):
        raise ServiceError(f"{name} must be a string.", field=name)
    value = value.strip()
    if required and not value:
        raise ServiceError(f"A metric needs a {name}.", field=name)
    if len(value) > limit or any(ord(c) < 32 for c in value):
        raise ServiceError(f"{name} must be at most {limit} characters of text.", field=name)
    return value


def _flag(values: Mapping[str, Any], name: str) -> bool:
    value = values.get(name)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0"):
        return value.strip().lower() in ("true", "1")
    raise ServiceError(f"{name} must be true or false.", field=name)
