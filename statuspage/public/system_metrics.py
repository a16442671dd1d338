"""/system-metrics (a day), /system-metrics/week and /system-metrics/month: each monitor's
response time and each displayed custom metric, as SVG charts with their numbers in tables.

The charts move with time, not with writes: the document is cached per generation and per
step of its chart (five minutes for a day, an hour for a week, four hours for a month), so a
reader sees at most one step behind while repeated reads render nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from babel.dates import format_skeleton, format_time
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from incidents import selectors
from statuspage.monitors import charts as series_reads
from statuspage.page_routing import page_of
from statuspage.public import charts, language, templating
from statuspage.public_cache import public_document


def _clock(moment: datetime) -> str:
    return format_time(moment.replace(tzinfo=None), "HH:mm", locale=templating.current_locale())


def _day(moment: datetime) -> str:
    """ "Nov 18", "18. Nov.", "11月18日": an axis label in the reader's language."""
    return format_skeleton("MMMd", moment, locale=templating.current_locale())


# Steps per row of a chart's table, and how its rows and the axis name a time (in the
# active language: the page's, or its address's).
TABLES: dict[str, tuple[int, Callable[[datetime], str]]] = {
    "day": (12, _clock),
    # A month's window names its days without the year, as its axis does: the table's first
    # column stays narrow enough for a phone.
    "week": (24, _day),
    "month": (6, _day),
}
LABELS: dict[str, Callable[[datetime], str]] = {"day": _clock, "week": _day, "month": _day}


def _period_step(kwargs: dict[str, object]) -> int:
    period = series_reads.PERIODS.get(str(kwargs.get("period", "day")))
    return period.step if period else 60


@public_document(refresh_seconds=_period_step)
def system_metrics(request, period: str = "day"):
    chosen = series_reads.PERIODS.get(period)
    if chosen is None:
        raise Http404("No such period.")
    page = selectors.page_get(page_of(request))
    language.activate(request, page)
    if not series_reads.charts_available():
        raise Http404("Nothing to chart.")
    now = timezone.now()
    start, end = series_reads.window(chosen, now)
    middle = start + (end - start) / 2
    label_fmt = LABELS[period]
    labels = tuple(label_fmt(t.astimezone(page.tz)) for t in (start, middle, end))
    group, row_fmt = TABLES[period]
    shown = []
    for index, one in enumerate(series_reads.chart_series(chosen, now=now)):
        title_id = f"chart-{index}"
        shown.append(
            {
                "series": one,
                "svg": charts.svg(one, title_id=title_id),
                "y_ticks": charts.y_ticks(one),
                "summary": charts.describe(one),
                "rows": charts.table_rows(one, group, page.tz, row_fmt),
                "unit": one.suffix,
            }
        )
    indicator, description = selectors.status_summary(page=page)
    context = {
        "indicator": indicator,
        "description": description,
        "page": page,
        "period": period,
        "periods": [("day", _("Day")), ("week", _("Week")), ("month", _("Month"))],
        "charts": shown,
        "x_ticks": labels,
        "zone": page.time_zone,
    }
    return render(request, "public/metrics.html", context)
