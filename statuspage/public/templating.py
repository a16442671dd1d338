"""Helpers the public templates use (Jinja2 filters and globals). Pure functions: no database."""

from __future__ import annotations

import functools
import re
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from markupsafe import Markup

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
HEX_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
# Keys of Page.status_colors that may override the palette (everything else is ignored).
COLOR_KEYS = (
    "operational", "under_maintenance", "degraded_performance", "partial_outage",
    "major_outage", "none", "minor", "major", "critical", "maintenance",
    "level-0", "level-1", "level-2", "level-3", "level-4",
)  # fmt: skip


@functools.cache
def inline_asset(name: str) -> Markup:
    """The text of a file under statuspage/static/, for inlining into a page.

    The public page inlines its CSS and script: one request per page view, nothing for a
    CDN or the origin to serve separately during a spike, and identical bytes in the cache."""
    path = (STATIC_DIR / name).resolve()
    if STATIC_DIR not in path.parents:
        raise ValueError(f"asset outside the static folder: {name}")
    return Markup(path.read_text(encoding="utf-8"))  # noqa: S704 - our own file


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
