"""Uptime measured by monitors: the status log's days (incidents.selectors.uptime_daily) with
the down minutes of the monitors' hourly rollups counted in, for the public bars and the
dashboard's uptime report."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from incidents.models import Component
from incidents.rules import uptime_level
from incidents.selectors import ComponentUptime, UptimeDay, uptime_daily
from incidents.selectors.shared import shared
from statuspage.monitors.selectors import Measured, measured_downtime


@shared
def daily(
    components, *, page, days: int, now: datetime, only_today=()
) -> tuple[dict[int, ComponentUptime], dict[int, date]]:
    """The components' uptime days (selectors.uptime_daily) with what their monitors measured
    counted in, and the date each measured one's measurements began.

    Inside a publish read once per arguments (the publish's one instant) and handed to every
    language's copy of the front page and /uptime: the days are filled in here (with_measured
    changes the ones uptime_daily just made), never by the callers, which only read them."""
    data = uptime_daily(components, page=page, days=days, now=now, only_today=only_today)
    starts = [u.start for u in data.values() if u.start is not None]
    if not starts:
        return data, {}
    found = measured_downtime(list(data), start=min(starts), end=now)
    return data, with_measured(data, found, page=page, now=now)


def with_measured(
    uptime: dict[int, ComponentUptime], measured: Mapping[int, Measured], *, page, now: datetime
) -> dict[int, date]:
    """Count what monitors measured into the days and moments of each measured component in
    `uptime` (changed in place); returns each one's page-zone date measurement began (for the
    note under its bar).

    Per hour, the measured down seconds count where they exceed what the status log already
    holds for that hour (a monitor that drove the component down is not counted twice); the
    excess is placed in the hour's first stretches the log leaves up. The same stretches go
    into the moments, so the script's days in the reader's zone agree with the server's."""
    since: dict[int, date] = {}
    for component_id, found in measured.items():
        data = uptime.get(component_id)
        if data is None:
            continue
        since[component_id] = found.since.astimezone(page.tz).date()
        logged = [(lo, hi or now, status) for lo, hi, status in data.down]
        extra = []
        for hour in found.hours:
            lo = max(hour.start, data.start or hour.start, data.since or hour.start)
            hi = min(hour.start + timedelta(hours=1), now)
            if hi <= lo:
                continue
            covered = sum(max(0.0, _overlap(lo, hi, a, b)) for a, b, _ in logged)
            missing = hour.seconds - covered
            for a, b in _free(lo, hi, logged):
                if missing <= 0:
                    break
                end = min(b, a + timedelta(seconds=missing))
                extra.append((a, end, hour.status))
                missing -= (end - a).total_seconds()
        if extra:
            data.down = sorted([*data.down, *extra], key=lambda s: s[0])
            _count_extra(data.days, extra, page=page, since=data.since, now=now)
    return since


def _overlap(lo: datetime, hi: datetime, a: datetime, b: datetime) -> float:
    return (min(hi, b) - max(lo, a)).total_seconds()


def _free(lo: datetime, hi: datetime, taken) -> list[tuple[datetime, datetime]]:
    """The parts of [lo, hi) that no stretch of `taken` covers, in order."""
    pieces, cursor = [], lo
    for a, b, _ in sorted(taken, key=lambda s: s[0]):
        if b <= cursor or a >= hi:
            continue
        if a > cursor:
            pieces.append((cursor, a))
        cursor = max(cursor, b)
    if cursor < hi:
        pieces.append((cursor, hi))
    return pieces


def _count_extra(days: list[UptimeDay], extra, *, page, since, now: datetime) -> None:
    """Add the measured stretches to the page-zone days they fall on, then weigh and colour
    those days again by the page's rules. Each day's bounds are its own local midnights
    (a DST day is 23 or 25 hours long)."""
    fields = {
        "major_outage": "major_seconds",
        "partial_outage": "partial_seconds",
        "degraded_performance": "degraded_seconds",
    }
    weights = {
        "major_seconds": 1.0,
        "partial_seconds": float(page.partial_outage_weight),
        "degraded_seconds": float(page.degraded_weight),
    }
    for day in days:
        if not day.has_data:
            continue
        lo = datetime.combine(day.day, time.min, tzinfo=page.tz).astimezone(UTC)
        hi = datetime.combine(day.day + timedelta(days=1), time.min, tzinfo=page.tz)
        lo, hi = max(lo, since or lo), min(hi.astimezone(UTC), now)
        added = False
        for a, b, status in extra:
            seconds = _overlap(lo, hi, a, b)
            if seconds > 0:
                name = fields[status]
                setattr(day, name, getattr(day, name) + seconds)
                added = True
        if added:
            day.downtime_seconds = sum(getattr(day, f) * w for f, w in weights.items())
            day.level = uptime_level(day.downtime_seconds, page.thresholds)


# --- the uptime report ---------------------------------------------------------------------

# Hourly rollups are kept 400 days (rollups.KEEP_DAYS): a report reaches as far back.
REPORT_MAX_DAYS = 400


class ReportRangeError(ValueError):
    """A range the report refuses; `field` names the input at fault ("from" or "to")."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class ReportRow:
    component: Component
    # None: no tracked time in the range (before the component's start, say).
    uptime_percent: float | None
    downtime_seconds: float
    tracked_seconds: float
    major_seconds: float
    partial_seconds: float
    degraded_seconds: float
    measured_since: date | None


@dataclass(frozen=True)
class Report:
    start: date
    end: date
    time_zone: str
    rows: list[ReportRow]


def report_range(start: date | None, end: date | None, *, today: date) -> tuple[date, date]:
    """The range a report covers: both ends in the page's days, inclusive; `end` no later
    than today, `start` no later than `end` and within REPORT_MAX_DAYS of today. A missing
    end is today; a missing start is the first of the end's month."""
    end = end or today
    start = start or end.replace(day=1)
    if end > today:
        raise ReportRangeError("to", "to cannot be in the future.")
    if start > end:
        raise ReportRangeError("from", "from must not be after to.")
    if (today - start).days >= REPORT_MAX_DAYS:
        raise ReportRangeError("from", f"from must be within the last {REPORT_MAX_DAYS} days.")
    return start, end


def uptime_report(
    components: Sequence[Component], *, page, start: date, end: date, now: datetime
) -> Report:
    """Each component's uptime over the page-zone days `start` to `end` (inclusive, today
    counted up to `now`): the status log's downtime with the monitors' measured minutes,
    weighed by the page's rules. A fixed number of queries, whatever the components."""
    today = now.astimezone(page.tz).date()
    data, since = daily(components, page=page, days=(today - start).days + 1, now=now)
    rows = []
    for component in components:
        days = [d for d in data[component.id].days if start <= d.day <= end and d.has_data]
        tracked = sum(d.tracked_seconds for d in days)
        down = sum(d.downtime_seconds for d in days)
        rows.append(
            ReportRow(
                component=component,
                uptime_percent=100.0 * (1 - down / tracked) if tracked > 0 else None,
                downtime_seconds=down,
                tracked_seconds=tracked,
                major_seconds=sum(d.major_seconds for d in days),
                partial_seconds=sum(d.partial_seconds for d in days),
                degraded_seconds=sum(d.degraded_seconds for d in days),
                measured_since=since.get(component.id),
            )
        )
    return Report(start=start, end=end, time_zone=page.time_zone, rows=rows)
