"""Server-side SVG line charts for the system-metrics page: no script, no chart library.

Each chart is an `<svg role="img">` named by its `<title>` and described by a `<desc>` that
states the period's figures in words; the same numbers are in a table beside it. Colours come
from the stylesheet's variables (classes only), so the light and dark themes apply."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from datetime import datetime, tzinfo

from babel.numbers import format_decimal
from django.utils.translation import gettext as _
from markupsafe import Markup, escape

from statuspage.monitors.charts import Point, Series
from statuspage.public.templating import current_locale

WIDTH, HEIGHT = 640, 160
# Room above the highest value and below the lowest, so the line is not cut by the edge.
PAD = 6
# Steps without a value that a line still spans (an hour of a day's chart).
MAX_GAP = 12


def number(value: float | None, decimals: int, suffix: str = "") -> str:
    """A chart's figure in the active language's notation ("1,234.5", "1.234,5", "1 234,5")."""
    if value is None:
        return "–"
    pattern = "#,##0" + ("." + "0" * decimals if decimals > 0 else "")
    text = format_decimal(value, pattern, locale=current_locale())
    return f"{text} {suffix}".strip()


def _scale(series: Series) -> tuple[float, float]:
    """The y axis: the metric's bounds when set, else from 0 (or the lowest value) to a round
    number above the highest."""
    values = [v for p in series.points for v in (p.low, p.high, p.mean) if v is not None]
    low = series.y_min if series.y_min is not None else min([0.0, *values])
    high = series.y_max if series.y_max is not None else max(values, default=1.0)
    if high <= low:
        high = low + 1
    if series.y_max is None:
        magnitude = 10 ** math.floor(math.log10(high - low))
        high = low + math.ceil((high - low) / magnitude) * magnitude
    return low, high


def y_ticks(series: Series) -> list[str]:
    """The y axis's labels, top to bottom (empty when the metric hides its axis)."""
    if series.y_hidden:
        return []
    low, high = _scale(series)
    return [number(low + (high - low) * f, series.decimals) for f in (1, 0.5, 0)]


def svg(series: Series, *, title_id: str) -> Markup:
    """One chart: the mean per step as a line (broken where a step has no value) over the
    min–max band, three gridlines, and a mark for each step whose checks all failed. The
    labels are HTML beside it: the drawing stretches to any width, text would not."""
    low, high = _scale(series)
    n = max(len(series.points), 1)

    def x(i: int) -> float:
        return WIDTH * (i + 0.5) / n

    def y(v: float) -> float:
        clamped = min(max(v, low), high)
        return PAD + (HEIGHT - 2 * PAD) * (1 - (clamped - low) / (high - low))

    parts: list[str] = []
    for fraction in (0, 0.5, 1):
        gy = y(low + (high - low) * fraction)
        parts.append(f'<line class="grid" x1="0" x2="{WIDTH}" y1="{gy:.1f}" y2="{gy:.1f}"/>')
    for i in (i for i, p in enumerate(series.points) if p.failed and p.count == 0):
        parts.append(
            f'<rect class="failed" x="{x(i) - WIDTH / n / 2:.1f}" y="0" '
            f'width="{WIDTH / n:.2f}" height="{HEIGHT}"/>'
        )
    points = series.points
    for run in _runs(points):
        if len(run) > 1:
            top = " ".join(f"{x(i):.1f},{y(points[i].high or 0):.1f}" for i in run)
            bottom = " ".join(f"{x(i):.1f},{y(points[i].low or 0):.1f}" for i in reversed(run))
            parts.append(f'<polygon class="band" points="{top} {bottom}"/>')
            line = " ".join(f"{x(i):.1f},{y(points[i].mean or 0):.1f}" for i in run)
            parts.append(f'<polyline class="line" points="{line}"/>')
        else:
            i = run[0]
            parts.append(
                f'<line class="line" x1="{x(i) - 2:.1f}" x2="{x(i) + 2:.1f}" '
                f'y1="{y(points[i].mean or 0):.1f}" y2="{y(points[i].mean or 0):.1f}"/>'
            )
    # Every value above is a number of ours or escaped.
    return Markup(  # noqa: S704
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{title_id} {title_id}-desc" preserveAspectRatio="none">'
        f'<title id="{title_id}">{escape(series.component)} · {escape(series.name)}</title>'
        f'<desc id="{title_id}-desc">{escape(describe(series))}</desc>' + "".join(parts) + "</svg>"
    )


def _runs(points: list[Point]) -> Iterable[list[int]]:
    """The indexes of the steps with a value, split where more than MAX_GAP steps in a row
    have none: a metric pushed every hour still draws a line on a day's chart, a monitor
    that was off for hours shows the hole."""
    run: list[int] = []
    for i, point in enumerate(points):
        if point.mean is None:
            continue
        if run and i - run[-1] > MAX_GAP:
            yield run
            run = []
        run.append(i)
    if run:
        yield run


def describe(series: Series) -> str:
    values = series.values
    if not values:
        return _("No data in this period.")
    lows = [p.low for p in series.points if p.low is not None]
    highs = [p.high for p in series.points if p.high is not None]
    total = sum(p.count for p in series.points)
    mean = sum(p.total for p in series.points) / total if total else None
    d, s = series.decimals, series.suffix
    return _("Average %(mean)s, lowest %(low)s, highest %(high)s, latest %(latest)s.") % {
        "mean": number(mean, d, s),
        "low": number(min(lows, default=None), d, s),
        "high": number(max(highs, default=None), d, s),
        "latest": number(values[-1], d, s),
    }


def table_rows(
    series: Series, group: int, tz: tzinfo, fmt: Callable[[datetime], str]
) -> list[dict[str, object]]:
    """The chart's numbers, `group` steps to a row (an hour of a day's chart, a day of a
    week's or a month's), in the page's zone."""
    rows = []
    for first in range(0, len(series.points), group):
        chunk = series.points[first : first + group]
        count = sum(p.count for p in chunk)
        lows = [p.low for p in chunk if p.low is not None]
        highs = [p.high for p in chunk if p.high is not None]
        rows.append(
            {
                "start": fmt(chunk[0].start.astimezone(tz)),
                "mean": number(
                    sum(p.total for p in chunk) / count if count else None, series.decimals
                ),
                "low": number(min(lows, default=None), series.decimals),
                "high": number(max(highs, default=None), series.decimals),
                "failed": sum(p.failed for p in chunk),
            }
        )
    return rows
