"""Helpers the public templates use (Jinja2 filters and globals). Pure functions: no database."""

from __future__ import annotations

import re
from datetime import date, datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from markupsafe import Markup

HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
# Keys of Page.status_colors that may override the palette (everything else is ignored).
COLOR_KEYS = (
    "operational", "under_maintenance", "degraded_performance", "partial_outage",
    "major_outage", "none", "minor", "major", "critical", "maintenance",
    "level-0", "level-1", "level-2", "level-3", "level-4",
)  # fmt: skip


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


def safe_url(value: str | None) -> str:
    """Operator-entered URLs (logo, footer links): http(s) only, anything else dropped."""
    if not value or urlsplit(value.strip()).scheme.lower() not in ("http", "https"):
        return ""
    return value.strip()


def brand_css(page) -> Markup:
    """The page's colours as CSS variables, then its custom CSS, for one <style> element.

    Colours must be #rrggbb; custom CSS cannot close the <style> element early."""
    lines = []
    if page.accent_color and HEX_COLOR.match(page.accent_color):
        lines.append(f"--accent:{page.accent_color};")
    colors = page.status_colors if isinstance(page.status_colors, dict) else {}
    for key in COLOR_KEYS:
        value = colors.get(key)
        if isinstance(value, str) and HEX_COLOR.match(value):
            lines.append(f"--c-{key}:{value};")
    css = ":root{" + "".join(lines) + "}\n" if lines else ""
    custom = (page.custom_css or "").replace("<", "\\3c ")
    return Markup(css + custom)  # noqa: S704 - values checked above, "<" neutralised
