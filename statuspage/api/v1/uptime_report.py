"""/pages/{page_id}/uptime-report (our extension): every component's uptime and downtime over a
range of the page's days, from the status log and, where a component has monitors, their
measured minutes (statuspage/monitors/uptime.py, as the dashboard's report)."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils import timezone

from incidents import selectors
from statuspage.access.models import Scope
from statuspage.api.v1 import fields as f
from statuspage.api.v1.http import ApiError, ApiRequest, api_view, json_response, page_of
from statuspage.api.v1.openapi_parts import ERRORS, ok, query, ref
from statuspage.monitors.uptime import ReportRangeError, report_range, uptime_report


def _day(request: ApiRequest, name: str):
    try:
        return f.day(request.GET, name, None)
    except ApiError as exc:
        exc.status = 400  # a query parameter: the request itself is malformed
        raise


@api_view(GET=Scope.READ)
def uptime_report_view(request: ApiRequest) -> HttpResponse:
    page = page_of(request)
    now = timezone.now()
    try:
        start, end = report_range(
            _day(request, "from"), _day(request, "to"), today=now.astimezone(page.tz).date()
        )
    except ReportRangeError as exc:
        raise ApiError.field(exc.field, str(exc), status=400) from None
    components = selectors.component_tree(page).components
    report = uptime_report(components, page=page, start=start, end=end, now=now)
    return json_response(
        {
            "from": report.start.isoformat(),
            "to": report.end.isoformat(),
            "time_zone": report.time_zone,
            "components": [
                {
                    "id": row.component.public_id,
                    "name": row.component.name,
                    "uptime_percentage": (
                        None if row.uptime_percent is None else round(row.uptime_percent, 4)
                    ),
                    "downtime_seconds": round(row.downtime_seconds),
                    "tracked_seconds": round(row.tracked_seconds),
                    "major_outage_seconds": round(row.major_seconds),
                    "partial_outage_seconds": round(row.partial_seconds),
                    "degraded_performance_seconds": round(row.degraded_seconds),
                    "measured_by_monitors_since": (
                        row.measured_since.isoformat() if row.measured_since else None
                    ),
                }
                for row in report.rows
            ],
        }
    )


_SECONDS = {"type": "integer", "minimum": 0}

OPENAPI_SCHEMAS = {
    "UptimeReport": {
        "type": "object",
        "properties": {
            "from": {"type": "string", "format": "date"},
            "to": {"type": "string", "format": "date"},
            "time_zone": {"type": "string", "description": "The page's zone: days are its days."},
            "components": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "string"},
                        "name": {"type": "string"},
                        "uptime_percentage": {"type": ["number", "null"]},
                        "downtime_seconds": _SECONDS,
                        "tracked_seconds": _SECONDS,
                        "major_outage_seconds": _SECONDS,
                        "partial_outage_seconds": _SECONDS,
                        "degraded_performance_seconds": _SECONDS,
                        "measured_by_monitors_since": {
                            "type": ["string", "null"],
                            "format": "date",
                        },
                    },
                },
            },
        },
    }
}

OPENAPI_PATHS = {
    "/pages/{page_id}/uptime-report": {
        "get": {
            "summary": "Uptime and downtime of every component over a range of days",
            "description": "Days are the page's (time_zone), both ends included; today counts "
            "up to now. `from` defaults to the first of `to`'s month, `to` to today; `from` "
            "must be within the last 400 days. Downtime weighs partial outages and degraded "
            "performance by the page's weights; where a component has monitors, their "
            "measured down minutes count too (measured_by_monitors_since).",
            "tags": ["components"],
            "parameters": [query("from", "string", fmt="date"), query("to", "string", fmt="date")],
            "responses": {"200": ok(ref("UptimeReport")), **ERRORS},
        }
    }
}
