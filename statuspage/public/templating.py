"""Helpers the public templates use (Jinja2 filters and globals). Pure functions: no database.

Dates, times and numbers are formatted in the active language's conventions by Babel (CLDR),
the one source for the server's text; public/site.js restates times with the browser's Intl in
the page's `<html lang>`, so both agree on the language."""

from __future__ import annotations

import functools
import math
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_skeleton, format_time, get_day_names
from babel.numbers import format_percent
from django.utils import translation
from django.utils.translation import gettext, ngettext

from statuspage.brand import safe_url

__all__ = [
    "duration",
    "format_month",
    "format_percent_floor",
    "pagedate",
    "pagetime",
    "safe_url",
]


def _tz(page) -> ZoneInfo:
    return page.tz


@functools.lru_cache(maxsize=32)
def _locale(code: str) -> Locale:
    return Locale.parse(translation.to_locale(code))


def current_locale() -> Locale:
    return _locale(translation.get_language() or "en")


@functools.lru_cache(maxsize=4096)
def _date(value: date, locale: Locale) -> str:
    return format_skeleton("yMMMd", value, locale=locale)


def format_date(value: date) -> str:
    """ "Nov 18, 2026", "18. Nov. 2026", "2026年11月18日": the day in the active language."""
    return _date(value, current_locale())


def format_month(value: date) -> str:
    """ "November 2026", "listopad 2026", "2026年11月"."""
    return format_skeleton("yMMMM", value, locale=current_locale())


def weekday_names() -> list[tuple[str, str]]:
    """(short, full) names of the week's days, Monday first, for the calendars' heads."""
    locale = current_locale()
    short, wide = get_day_names("short", locale=locale), get_day_names("wide", locale=locale)
    return [(short[n], wide[n]) for n in range(7)]


def pagetime(value: datetime | None, page) -> str:
    """A moment in the page's time zone, with the zone's abbreviation (e.g. "CET")."""
    if value is None:
        return ""
    local = value.astimezone(_tz(page))
    locale = current_locale()
    clock = format_time(local.replace(tzinfo=None), "HH:mm", locale=locale)
    return f"{_date(local.date(), locale)} {clock} {local.tzname()}"


def pagedate(value: date | datetime | None, page=None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        if page is not None:
            value = value.astimezone(_tz(page))
        value = value.date()
    return format_date(value)


@functools.lru_cache(maxsize=32)
def _percent_pattern(locale: Locale) -> str:
    # The locale's own percent pattern ("#,##0 %", "%#,##0"), with two decimals.
    return locale.percent_formats[None].pattern.replace("#,##0", "#,##0.00", 1)


def format_percent_floor(percent: float) -> str:
    """An uptime figure: two decimals, rounded down (any downtime never reads as 100.00%),
    in the active language's notation ("99.95%", "99,95 %", "%99,95")."""
    # Exact hundredths of a percent (a float would print 99.98999999999999).
    floored = Decimal(math.floor(percent * 100 + 1e-9)) / 10000
    locale = current_locale()
    return format_percent(floored, _percent_pattern(locale), locale=locale)


def duration(seconds: float | None) -> str:
    """Seconds as "no downtime", "4 min", "1 h 5 min" (rounded to whole minutes)."""
    minutes = round((seconds or 0) / 60)
    if minutes <= 0:
        return gettext("no downtime") if not seconds else gettext("under 1 min")
    hours, minutes = divmod(minutes, 60)
    in_minutes = ngettext("%(count)s min", "%(count)s min", minutes) % {"count": minutes}
    if not hours:
        return in_minutes
    in_hours = ngettext("%(count)s h", "%(count)s h", hours) % {"count": hours}
    if not minutes:
        return in_hours
    # Translators: a duration of hours and minutes, e.g. "1 h 5 min".
    return gettext("%(hours)s %(minutes)s") % {"hours": in_hours, "minutes": in_minutes}


def elapsed(seconds: float | None) -> str:
    """How long something lasted, as duration() words; never "no downtime" (an incident
    opened and closed within the minute lasted "under 1 min")."""
    return duration(max(seconds or 0, 1))


def js_words() -> dict[str, str]:
    """The words public/site.js and live.js write, in the active language (the page carries
    them as JSON: the scripts are static files, the same for every language). Placeholders
    stay for the scripts to fill: %(zone)s, %(figure)s, %(age)s."""
    return {
        "zoneNote": gettext("Times are shown in your time zone, %(zone)s."),
        "notYet": gettext("Not yet"),
        "noData": gettext("No data"),
        "noDowntime": gettext("No downtime"),
        "noDowntimeShort": gettext("no downtime"),
        "under1": gettext("under 1 min"),
        "noDataYet": gettext("no data yet"),
        "major_outage": gettext("Major outage"),
        "partial_outage": gettext("Partial outage"),
        "degraded_performance": gettext("Degraded performance"),
        "incident": gettext("Incident"),
        "incidents": gettext("Incidents"),
        "noIncidents": gettext("No incidents reported."),
        "updated": gettext("Updated %(age)s ago"),
        "uptime90": ngettext(
            "%(figure)s uptime, last %(num)s day", "%(figure)s uptime, last %(num)s days", 90
        ).replace("%(num)s", "90"),
    }
