"""The uptime report: every component's uptime and downtime over a month or a range of the
page's days, as a page, a CSV download and a printable page (statuspage/monitors/uptime.py
counts it, as for GET /api/v1/pages/{page_id}/uptime-report)."""

from __future__ import annotations

import calendar
import csv
import io
import math
from datetime import date

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from incidents import selectors
from statuspage.access.models import Role
from statuspage.dashboard.permissions import operator_required
from statuspage.dashboard.views.subscribers import csv_safe
from statuspage.monitors.uptime import Report, ReportRangeError, report_range, uptime_report

CSV_COLUMNS = [
    "component",
    "from",
    "to",
    "uptime_percent",
    "downtime_seconds",
    "tracked_seconds",
    "major_outage_seconds",
    "partial_outage_seconds",
    "degraded_performance_seconds",
    "measured_by_monitors_since",
]


def _asked_range(get, today: date) -> tuple[date | None, date | None, str]:
    """The range the query asks for: ?month=YYYY-MM, else ?from= and ?to= (YYYY-MM-DD); the
    current month when it names none. Returns (from, to, error)."""
    try:
        if month := get.get("month", "").strip():
            first = date.fromisoformat(month + "-01")
            last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
            return first, min(last, today), ""
        start = get.get("from", "").strip()
        end = get.get("to", "").strip()
        return (
            date.fromisoformat(start) if start else None,
            date.fromisoformat(end) if end else None,
            "",
        )
    except ValueError:
        return None, None, "Give a month (YYYY-MM) or dates (YYYY-MM-DD)."


def _report(request) -> tuple[Report | None, str, date]:
    page = request.dashboard_page
    now = timezone.now()
    today = now.astimezone(page.tz).date()
    start, end, error = _asked_range(request.GET, today)
    if error:
        return None, error, today
    try:
        start, end = report_range(start, end, today=today)
    except ReportRangeError as exc:
        return None, str(exc).capitalize(), today
    components = selectors.component_tree(page).components
    return uptime_report(components, page=page, start=start, end=end, now=now), "", today


@require_GET
@operator_required(Role.VIEWER)
def uptime_report_page(request):
    report, error, today = _report(request)
    context = _context(report, error, today)
    return render(request, "dashboard/uptime/report.html", context, status=400 if error else 200)


@require_GET
@operator_required(Role.VIEWER)
def uptime_report_print(request):
    report, error, today = _report(request)
    context = _context(report, error, today)
    return render(request, "dashboard/uptime/print.html", context, status=400 if error else 200)


def _context(report: Report | None, error: str, today: date) -> dict:
    return {
        "report": report,
        "error": error,
        "today": today,
        "query": _query(report),
        "duration": duration,
        "percent": percent,
    }


@require_GET
@operator_required(Role.VIEWER)
def uptime_report_csv(request):
    report, error, _ = _report(request)
    if report is None:
        return HttpResponse(error, status=400, content_type="text/plain; charset=utf-8")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in report.rows:
        percent = "" if row.uptime_percent is None else f"{row.uptime_percent:.4f}"
        since = row.measured_since.isoformat() if row.measured_since else ""
        values = [row.component.name, report.start.isoformat(), report.end.isoformat(), percent]
        values += [
            str(round(v))
            for v in (
                row.downtime_seconds,
                row.tracked_seconds,
                row.major_seconds,
                row.partial_seconds,
                row.degraded_seconds,
            )
        ]
        writer.writerow([csv_safe(v) for v in [*values, since]])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    name = f"uptime-{report.start.isoformat()}-{report.end.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def duration(seconds: float) -> str:
    """Downtime in words: "none", "under 1 min", "45 min", "3 h 5 min", "2 d 4 h"."""
    minutes = round(seconds / 60)
    if seconds <= 0:
        return "none"
    if minutes == 0:
        return "under 1 min"
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    return f"{mins} min"


def percent(value: float | None) -> str:
    """Two decimals rounded down (any downtime never reads 100.00%), as the public figures."""
    if value is None:
        return "no data"
    return f"{math.floor(value * 100 + 1e-9) / 100:.2f}%"


def _query(report: Report | None) -> str:
    if report is None:
        return ""
    return f"from={report.start.isoformat()}&to={report.end.isoformat()}"
