"""Markup of the uptime bars (front page) and calendars (/uptime). Pure Python, no queries.

Each bar or calendar is rendered twice over, in a sense:
- the days in the page's time zone, each cell holding its own summary ("Nov 18, 2026: partial
  outage 1 h 55 min · API errors"), so the page says everything without JavaScript;
- the moments behind them as data- attributes (tracking start, down stretches, incidents),
  from which public/site.js rebuilds the days in the reader's time zone and shows the tooltip.
The days' rules (weights, thresholds) are the page's, sent once in data-weights/data-levels."""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.urls import reverse
from django.utils.translation import gettext, gettext_noop, ngettext, pgettext
from markupsafe import Markup, escape

from incidents.selectors import ComponentUptime, IncidentRef, UptimeDay, refs_by_day
from statuspage.monitors.uptime import daily, with_measured
from statuspage.public.finished_days import Finished
from statuspage.public.templating import duration, format_date, format_percent_floor

# The bars count what monitors measured (statuspage/monitors/uptime.py) as the views ask.
__all__ = ["daily", "with_measured"]

KIND_CODES = {"major_outage": "M", "partial_outage": "P", "degraded_performance": "D"}
# The outage types of a day, worst first: (UptimeDay field, words; translated when shown).
KINDS = (
    ("major_seconds", gettext_noop("major outage")),
    ("partial_seconds", gettext_noop("partial outage")),
    ("degraded_seconds", gettext_noop("degraded performance")),
)


def uptime_figure(percent: float | None) -> str:
    """One format for every uptime figure: two decimals, no space, rounded down, so that any
    downtime at all never reads as 100.00%."""
    if percent is None:
        return gettext("no data yet")
    return format_percent_floor(percent)


def legend(thresholds: tuple[int, ...]) -> list[tuple[str, str]]:
    """(css class, words) for each colour level of the page's thresholds (minutes per day):
    level n means the day's downtime exceeds n of them."""
    low = thresholds[0]

    def up_to(minutes: int) -> str:
        return gettext("Up to %(duration)s") % {"duration": duration(minutes * 60)}

    words = [gettext("No downtime") if low == 0 else up_to(low)]
    for lo, hi in zip(thresholds, thresholds[1:], strict=False):
        words.append(up_to(hi) if lo == 0 else _range(lo, hi))
    words.append(gettext("Over %(duration)s") % {"duration": duration(thresholds[-1] * 60)})
    return [(f"l{n}", text) for n, text in enumerate(words)]


def _range(lo: int, hi: int) -> str:
    """ "20–40 min", or "40 min – 1 h" when the units differ."""
    if hi < 60:
        return ngettext("%(low)s–%(high)s min", "%(low)s–%(high)s min", hi) % {
            "low": lo,
            "high": hi,
        }
    # Translators: a range of durations, e.g. "20 min – 40 min".
    return pgettext("range", "%(low)s – %(high)s") % {
        "low": duration(lo * 60),
        "high": duration(hi * 60),
    }


@dataclass
class Bar:
    """One component's uptime over a window: the page-zone cells, the moments behind them, the
    figure for the window."""

    cells: Markup
    attrs: Markup
    refs: Markup
    figure: str
    days: int
    # "Measured by monitors since" this date (formatted), when monitors feed the bar.
    measured_since: str = ""


def bars(
    components,
    uptime: dict,
    refs: dict,
    *,
    today: date,
    days: int,
    tz,
    finished: Mapping[int, Finished],
    measured: Mapping[int, date] | None = None,
) -> tuple[dict[int, Bar], dict[int, Finished]]:
    """Each component's bar, and the finished days counted here that were not in `finished`
    (for the caller to store). A component in `finished` has only today in `uptime`."""
    first = today - timedelta(days=days - 1)
    out, fresh = {}, {}
    for component in components:
        touching = refs.get(component.id, [])
        known = finished.get(component.id)
        if known is None:
            data = uptime[component.id].last(days)
            by_day = refs_by_day(touching, first=first, today=today, tz=tz)
            known = fresh[component.id] = finished_entry(data.days[:-1], by_day)
            day = data.days[-1]
        else:
            data = uptime[component.id]
            day = data.days[-1]
            by_day = refs_by_day(touching, first=today, today=today, tz=tz)
        tracked = known.tracked + day.tracked_seconds
        downtime = known.downtime + day.downtime_seconds
        out[component.id] = Bar(
            cells=Markup(known.cells) + day_cells([day], by_day),  # noqa: S704 - built by day_cells
            attrs=source_attrs(data),
            refs=refs_list(touching),
            figure=uptime_figure(percent(tracked, downtime)),
            days=days,
            measured_since=measured_words((measured or {}).get(component.id)),
        )
    return out, fresh


def measured_words(since: date | None) -> str:
    """The date in "Measured by monitors since <date>", or "" for a component whose days
    come from its status log alone."""
    return format_date(since) if since is not None else ""


def finished_entry(days: Sequence[UptimeDay], by_day: dict) -> Finished:
    """The cached part of a bar: the days before today, with their sums taken oldest first
    (the order ComponentUptime sums the window in, so the figures are the same floats)."""
    return Finished(
        cells=str(day_cells(days, by_day)),
        tracked=sum(d.tracked_seconds for d in days),
        downtime=sum(d.downtime_seconds for d in days),
    )


def sums(components, uptime: dict, finished: Mapping[int, Finished], *, days: int) -> dict:
    """Each component's (tracked, down) seconds over the last `days` days: from its cached
    finished days and today when it has them, else from its days in `uptime` (summed oldest
    first, as ComponentUptime sums a window, so the figures are the same floats)."""
    out = {}
    for component in components:
        known = finished.get(component.id)
        if known is None:
            window = uptime[component.id].last(days)
            out[component.id] = (window.tracked_seconds, window.downtime_seconds)
            continue
        day = uptime[component.id].days[-1]
        out[component.id] = (
            known.tracked + day.tracked_seconds,
            known.downtime + day.downtime_seconds,
        )
    return out


def figures(totals: Mapping[int, tuple[float, float]]) -> dict[int, str]:
    """Each component's figure, from its sums."""
    return {cid: uptime_figure(percent(*pair)) for cid, pair in totals.items()}


def group_figure(members, totals: Mapping[int, tuple[float, float]]) -> str:
    """A group's figure: the share of its components' tracked time that was up (their down
    and tracked seconds added up, so a component tracked for a week weighs less than one
    tracked for the whole window, and one without data not at all)."""
    tracked = sum(totals[c.id][0] for c in members)
    downtime = sum(totals[c.id][1] for c in members)
    return uptime_figure(percent(tracked, downtime))


def percent(tracked: float, downtime: float) -> float | None:
    """As ComponentUptime.uptime_percent, from sums."""
    return None if tracked <= 0 else 100.0 * (1 - downtime / tracked)


def rules_attrs(page) -> Markup:
    """data-weights and data-levels: how the script weighs outage types and colours days."""
    weights = f"{float(page.partial_outage_weight):g} {float(page.degraded_weight):g}"
    levels = " ".join(str(t) for t in page.thresholds)
    return Markup(' data-weights="{}" data-levels="{}"').format(weights, levels)


def source_attrs(uptime: ComponentUptime) -> Markup:
    """data-since, data-from and data-down: the moments the script re-counts in the reader's
    zone (tracking start, the first moment the stretches cover, the down stretches)."""
    since = _epoch(uptime.since) if uptime.since else ""
    start = _epoch(uptime.start) if uptime.start else ""
    down = ";".join(
        f"{_epoch(lo)},{_epoch(hi) if hi else ''},{KIND_CODES[status]}"
        for lo, hi, status in uptime.down
    )
    return Markup(' data-since="{}" data-from="{}" data-down="{}"').format(since, start, down)


def refs_list(refs: list[IncidentRef]) -> Markup:
    """The incidents behind a bar, as links with their span, hidden: the script shows them in
    a day's tooltip (each day's own summary already names them without the script)."""
    if not refs:
        return Markup("")
    items = [
        Markup('<li><a href="{}" data-span="{} {}">{}</a></li>').format(
            reverse("public-incident", args=[ref.public_id]),
            _epoch(ref.started_at) if ref.started_at else "",
            _epoch(ref.resolved_at) if ref.resolved_at else "",
            ref.name,
        )
        for ref in refs
    ]
    return Markup('<ul class="refs" hidden>{}</ul>').format(Markup("").join(items))


def day_summary(day: UptimeDay, refs) -> str:
    """A day in words: its date, each outage type with its duration, its incidents."""
    if not day.has_data:
        return gettext("%(day)s: no data") % {"day": _day_label(day.day)}
    parts = [
        f"{gettext(words)} {duration(getattr(day, key))}"
        for key, words in KINDS
        if getattr(day, key)
    ]
    text = gettext("%(day)s: %(what)s") % {
        "day": _day_label(day.day),
        "what": gettext(", ").join(parts) or gettext("no downtime"),
    }
    if refs:
        text += " · " + gettext(", ").join(ref.name for ref in refs)
    return text


def bar_cells(uptime: ComponentUptime, by_day: dict) -> Markup:
    """The <li> cells of one uptime bar, in the page's zone, each with its summary."""
    return day_cells(uptime.days, by_day)


def day_cells(days: Sequence[UptimeDay], by_day: dict) -> Markup:
    """The <li> cells of some days, in the page's zone, each with its summary.

    Built here rather than in the template: the front page has (components x 90) cells, and a
    Jinja loop with filters per cell was most of a cold render. Every name is escaped."""
    cells = []
    for day in days:
        refs = by_day.get(day.day, ())
        summary = escape(day_summary(day, refs))
        if not day.has_data:
            cells.append(f'<li class="nodata"><span class="sum">{summary}</span></li>')
            continue
        # Only days with something to say take keyboard focus (90 tab stops per bar would not).
        focus = ' tabindex="0"' if refs or day.downtime_seconds else ""
        cells.append(f'<li class="l{day.level}"{focus}><span class="sum">{summary}</span></li>')
    return Markup("".join(cells))  # noqa: S704 - summaries escaped above; the rest is ours


def calendar_months(
    uptime: ComponentUptime, by_day: dict, months: list[date], today: date
) -> list[tuple[date, Markup]]:
    """Each month's grid as the rows of its table body (weeks of 7 cells, Monday first, empty
    cells outside the month). Built here, as the bars' cells are (day_cells), with the same
    summaries and colour levels; the template only frames each month."""
    days = {d.day: d for d in uptime.days}
    out = []
    for first in months:
        weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
        rows = [
            "<tr>"
            + "".join(
                _calendar_cell(d, days, by_day, today) if d.month == first.month else "<td></td>"
                for d in week
            )
            + "</tr>"
            for week in weeks
        ]
        out.append((first, Markup("".join(rows))))  # noqa: S704 - summaries escaped per cell
    return out


def _calendar_cell(day: date, days: dict, by_day: dict, today: date) -> str:
    number = f'<span aria-hidden="true">{day.day}</span>'
    if day > today:
        summary = escape(gettext("%(day)s: not yet") % {"day": _day_label(day)})
        return f'<td class="future">{number}<span class="sum">{summary}</span></td>'
    data = days.get(day) or UptimeDay(day=day, has_data=False)
    refs = by_day.get(day, ())
    css = (f"l{data.level}" if data.has_data else "nodata") + (" today" if day == today else "")
    # As in a bar: only days with something to say take keyboard focus.
    focus = ' tabindex="0"' if refs or data.downtime_seconds else ""
    summary = escape(day_summary(data, refs))
    return f'<td class="{css}"{focus}>{number}<span class="sum">{summary}</span></td>'


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _day_label(day: date) -> str:
    return format_date(day)
