"""Uptime reads: daily downtime per component from the status-change log, and the incidents
that touched each component. One query each, whatever the number of components or days.

Besides the page-zone days, each component's down stretches and incidents are returned as
moments, with a margin before the window: the public pages' script re-counts them in the
reader's own time zone, whose midnights lie up to 26 hours from the page zone's."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from typing import TypeAlias

from django.db.models import Q
from django.utils import timezone

from incidents.enums import ComponentStatus
from incidents.models import Component, ComponentStatusChange, IncidentComponent, Page
from incidents.rules import uptime_level
from incidents.selectors.shared import shared

# UTC offsets run from -12 h to +14 h: a reader's day can start up to 26 hours before the
# page zone's, so the moments reach this far back before the first page-zone day.
READER_MARGIN = timedelta(days=2)

_DOWN_STATUSES = (
    ComponentStatus.MAJOR_OUTAGE,
    ComponentStatus.PARTIAL_OUTAGE,
    ComponentStatus.DEGRADED_PERFORMANCE,
)


@dataclass
class UptimeDay:
    day: date
    has_data: bool
    major_seconds: float = 0.0
    partial_seconds: float = 0.0
    degraded_seconds: float = 0.0
    tracked_seconds: float = 0.0
    downtime_seconds: float = 0.0
    level: int | None = None  # colour level 0-4; None when there is no data


# A down stretch as moments: (from, to or None while it lasts, status).
DownStretch: TypeAlias = tuple[datetime, datetime | None, str]


@dataclass
class ComponentUptime:
    component_id: int
    days: list[UptimeDay]
    # When tracking began, and the down stretches from `start` (READER_MARGIN before the
    # first day) on.
    since: datetime | None = None
    start: datetime | None = None
    down: list[DownStretch] = field(default_factory=list)

    @property
    def tracked_seconds(self) -> float:
        return sum(d.tracked_seconds for d in self.days)

    @property
    def downtime_seconds(self) -> float:
        return sum(d.downtime_seconds for d in self.days)

    @property
    def uptime_percent(self) -> float | None:
        """Percentage of tracked time that was up; None before any data exists."""
        if self.tracked_seconds <= 0:
            return None
        return 100.0 * (1 - self.downtime_seconds / self.tracked_seconds)

    def last(self, days: int) -> ComponentUptime:
        """The same component over its last `days` days only (a figure's window)."""
        return ComponentUptime(
            self.component_id, self.days[-days:], self.since, self.start, self.down
        )


def _tracking_start(component: Component, tz: tzinfo) -> datetime:
    if component.start_date is not None:
        return datetime.combine(component.start_date, time.min, tzinfo=tz).astimezone(UTC)
    return component.created_at


def uptime_daily(
    components: Sequence[Component],
    *,
    page: Page,
    days: int = 90,
    now: datetime | None = None,
    only_today: Collection[int] = (),
) -> dict[int, ComponentUptime]:
    """Daily downtime of each component over the last `days` days in the page's time zone, from
    the status-change log: one query for all components.

    For the components in `only_today` (ids whose finished days the caller has cached) only
    today is counted: `days` holds that one day, the moments (`down`) are complete.

    A component's status at the window start is the old status of its first change inside the
    window, or its current status if it has not changed since; the log is ordered and
    consistent because every change goes through the services.
    """
    now = now or timezone.now()
    tz = page.tz
    today = now.astimezone(tz).date()
    first = today - timedelta(days=days - 1)
    bounds = _local_midnights(first, days, tz, now)
    window_start = bounds[0] - READER_MARGIN
    changes = _changes_by_component(components, window_start, now)
    weights = {
        ComponentStatus.MAJOR_OUTAGE: Decimal(1),
        ComponentStatus.PARTIAL_OUTAGE: page.partial_outage_weight,
        ComponentStatus.DEGRADED_PERFORMANCE: page.degraded_weight,
    }
    result: dict[int, ComponentUptime] = {}
    for component in components:
        segments = _segments(component, changes.get(component.id, []), window_start, now)
        since = _tracking_start(component, tz)
        if component.id in only_today:
            day_bounds, day_first = bounds[-2:], today
        else:
            day_bounds, day_first = bounds, first
        uptime = _days_for(
            segments, day_bounds, day_first, max(since, bounds[0]), weights, page.thresholds
        )
        uptime.component_id = component.id
        uptime.since, uptime.start = since, window_start
        uptime.down = [
            (max(lo, since), None if hi == now else hi, status)
            for lo, hi, status in segments
            if status in _DOWN_STATUSES and hi > since
        ]
        result[component.id] = uptime
    return result


# A stretch of one status: (from, to, status).
_Segment: TypeAlias = tuple[datetime, datetime, str]


def _local_midnights(first: date, days: int, tz: tzinfo, now: datetime) -> list[datetime]:
    """The `days + 1` local midnights from `first` in UTC, the last one no later than `now`.
    Converted one by one: Python subtracts two datetimes that share a tzinfo by wall-clock
    time, which would make every DST day 24 hours long."""
    bounds = [
        datetime.combine(first + timedelta(n), time.min, tzinfo=tz).astimezone(UTC)
        for n in range(days + 1)
    ]
    bounds[-1] = min(bounds[-1], now)
    return bounds


def _changes_by_component(
    components: Sequence[Component], since: datetime, now: datetime
) -> defaultdict[int, list[tuple[str, str, datetime]]]:
    """Each component's status changes (old, new, at) from `since`, in order: one query."""
    changes: defaultdict[int, list[tuple[str, str, datetime]]] = defaultdict(list)
    for component_id, old, new, at in (
        ComponentStatusChange.objects.filter(
            component_id__in=[c.id for c in components], at__gte=since, at__lte=now
        )
        .order_by("component_id", "at", "id")
        .values_list("component_id", "old_status", "new_status", "at")
    ):
        changes[component_id].append((old, new, at))
    return changes


def _segments(
    component: Component,
    log: list[tuple[str, str, datetime]],
    window_start: datetime,
    now: datetime,
) -> list[_Segment]:
    """The component's stretches of one status from `window_start` to `now`."""
    status = log[0][0] if log else component.status
    segments: list[_Segment] = []
    start = window_start
    for _old, new, at in log:
        segments.append((start, at, status))
        start, status = at, new
    segments.append((start, now, status))
    return segments


def _days_for(
    segments: list[_Segment],
    bounds: list[datetime],
    first: date,
    tracked_from: datetime,
    weights: Mapping[ComponentStatus, Decimal],
    thresholds: Iterable[int],
) -> ComponentUptime:
    days = []
    for n in range(len(bounds) - 1):
        lo, hi = max(bounds[n], tracked_from), bounds[n + 1]
        day = UptimeDay(day=first + timedelta(n), has_data=hi > lo)
        if day.has_data:
            day.tracked_seconds = (hi - lo).total_seconds()
        days.append(day)
    for seg_start, seg_end, status in segments:
        if status not in _DOWN_STATUSES:
            continue
        seg_start = max(seg_start, tracked_from)
        # Visit only the days the segment can overlap (bounds are sorted): a cold render of
        # 50 components x 90 days otherwise spends most of its time here.
        lo_n = max(bisect_right(bounds, seg_start) - 1, 0)
        hi_n = min(bisect_left(bounds, seg_end), len(bounds) - 1)
        for n in range(lo_n, hi_n):
            overlap = (min(seg_end, bounds[n + 1]) - max(seg_start, bounds[n])).total_seconds()
            if overlap <= 0:
                continue
            day = days[n]
            if status == ComponentStatus.MAJOR_OUTAGE:
                day.major_seconds += overlap
            elif status == ComponentStatus.PARTIAL_OUTAGE:
                day.partial_seconds += overlap
            else:
                day.degraded_seconds += overlap
    for day in days:
        if not day.has_data:
            continue
        day.downtime_seconds = float(
            Decimal(day.major_seconds) * weights[ComponentStatus.MAJOR_OUTAGE]
            + Decimal(day.partial_seconds) * weights[ComponentStatus.PARTIAL_OUTAGE]
            + Decimal(day.degraded_seconds) * weights[ComponentStatus.DEGRADED_PERFORMANCE]
        )
        day.level = uptime_level(day.downtime_seconds, thresholds)
    return ComponentUptime(component_id=0, days=days)


@dataclass(frozen=True)
class IncidentRef:
    public_id: str
    name: str
    impact: str
    started_at: datetime | None = field(default=None, compare=False)
    resolved_at: datetime | None = field(default=None, compare=False)


@shared
def incidents_touching(
    components: Sequence[Component], *, page: Page, days: int = 90, now: datetime | None = None
) -> dict[int, list[IncidentRef]]:
    """For each component, the incidents that affected it at some moment of the last `days`
    days (page time zone) or of READER_MARGIN before them, oldest first. One query (once per
    publish for every language's copy of a page, given the publish's one instant)."""
    now = now or timezone.now()
    first = now.astimezone(page.tz).date() - timedelta(days=days - 1)
    since = datetime.combine(first, time.min, tzinfo=page.tz) - READER_MARGIN
    rows = (
        IncidentComponent.objects.filter(
            component_id__in=[c.id for c in components], incident__started_at__lte=now
        )
        .filter(Q(incident__resolved_at__isnull=True) | Q(incident__resolved_at__gte=since))
        .order_by("incident__started_at", "incident_id")
        .values_list(
            "component_id",
            "incident__public_id",
            "incident__name",
            "incident__impact_override",
            "incident__computed_impact",
            "incident__started_at",
            "incident__resolved_at",
        )
    )
    result: dict[int, list[IncidentRef]] = defaultdict(list)
    for component_id, public_id, name, override, computed, started, resolved in rows:
        result[component_id].append(
            IncidentRef(public_id, name, override or computed, started, resolved)
        )
    return result


def refs_by_day(
    refs: Iterable[IncidentRef], *, first: date, today: date, tz: tzinfo
) -> dict[date, list[IncidentRef]]:
    """The page-zone days from `first` to `today` on which each incident was open."""
    result: dict[date, list[IncidentRef]] = defaultdict(list)
    for ref in refs:
        if ref.started_at is None:
            continue
        day = max(ref.started_at.astimezone(tz).date(), first)
        last = min(ref.resolved_at.astimezone(tz).date() if ref.resolved_at else today, today)
        while day <= last:
            result[day].append(ref)
            day += timedelta(days=1)
    return result


def incidents_by_day(
    components: Sequence[Component], *, page: Page, days: int = 90, now: datetime | None = None
) -> dict[int, dict[date, list[IncidentRef]]]:
    """For each component, the incidents that affected it on each of the last `days` days
    (page time zone). One query, whatever the counts."""
    now = now or timezone.now()
    today = now.astimezone(page.tz).date()
    first = today - timedelta(days=days - 1)
    result = {}
    for component_id, refs in incidents_touching(components, page=page, days=days, now=now).items():
        if by_day := refs_by_day(refs, first=first, today=today, tz=page.tz):
            result[component_id] = by_day
    return result
