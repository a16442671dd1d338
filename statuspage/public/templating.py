"""Helpers the public templates use (Jinja2 filters and globals). Pure functions: no database."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from statuspage.brand import safe_url

__all__ = ["duration", "pagedate", "pagetime", "safe_url"]


def _tz(page) -> ZoneInfo:
    return page.tz


def pagetime(value: datetime | None, page, fmt: str = "%b %-d, %Y %H:%M") -> str:
    """A moment in the page's time zone, with the zone's abbreviation (e.g. "CET")."""
    if value is None:
        return ""
    local = value.astimezone(_tz(page))
    return f"{local.strftime(fmt)} {local.tzname()}"


def pagedate(value: date | datetime | None, fmt: str = "%b %-d, %Y", page=None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime) and page is not None:
        value = value.astimezone(_tz(page))
    return value.strftime(fmt)


def duration(seconds: float | None) -> str:
    """Seconds as "no downtime", "4 min", "1 h 5 min" (rounded to whole minutes)."""
    minutes = round((seconds or 0) / 60)
    if minutes <= 0:
        return "no downtime" if not seconds else "under 1 min"
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return f"{minutes} min"
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def elapsed(seconds: float | None) -> str:
    """How long something lasted, as duration() words; never "no downtime" (an incident
    opened and closed within the minute lasted "under 1 min")."""
    return duration(max(seconds or 0, 1))
