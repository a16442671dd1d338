"""Dates, times and figures on the server are the reader's language's (Babel, CLDR), and the
page tells its scripts the same language (`<html lang>`, which their `Intl` calls read, and the
words in #site-words): one source for both. The clock is frozen at 2026-11-18 12:00 UTC."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from statuspage.public import templating

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


class _Berlin:
    tz = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(
    ("code", "percent", "moment"),
    [
        ("en", "99.95%", "Nov 18, 2026 13:05 CET"),
        ("de", "99,95\xa0%", "18. Nov. 2026 13:05 CET"),
        ("fr", "99,95\xa0%", "18 nov. 2026 13:05 CET"),
        ("tr", "%99,95", "18 Kas 2026 13:05 CET"),
        ("pl", "99,95%", "18 lis 2026 13:05 CET"),
        ("ja", "99.95%", "2026年11月18日 13:05 CET"),
        ("ar", "99.95%", "18 نوفمبر 2026 13:05 CET"),
    ],
)
def test_figures_and_moments_follow_the_language(code, percent, moment):
    with translation.override(code):
        # Rounded down: 99.9567 is not yet 99.96.
        assert templating.format_percent_floor(99.9567) == percent
        assert templating.pagetime(datetime(2026, 11, 18, 12, 5, tzinfo=UTC), _Berlin) == moment


def test_a_german_page_writes_german_dates_and_figures_and_says_de_to_its_scripts(client, site):
    html = client.get("/de/", HTTP_ACCEPT=BROWSER).content.decode()
    assert '<html lang="de"' in html
    assert re.search(r"\d+,\d\d\xa0%", html), "no German uptime figure"
    assert not re.search(r"\d+\.\d\d%", html), "an English figure on the German page"
    words = json.loads(re.search(r'id="site-words">(.*?)</script>', html, re.S).group(1))
    assert words["noData"] == "Keine Daten"
    history = client.get("/de/history", HTTP_ACCEPT=BROWSER).content.decode()
    assert "18. Nov. 2026" in history and "Nov 18, 2026" not in history
    # Times carry their instant for the script (which restates them in the reader's zone).
    assert re.search(r'<time datetime="2026-11-18T[0-9:.]+\+00:00"[^>]* data-local>', history)


def test_the_english_page_writes_english_ones(client, site):
    html = client.get("/", HTTP_ACCEPT=BROWSER).content.decode()
    assert '<html lang="en"' in html and re.search(r"\d+\.\d\d%", html)
    assert "Nov 18, 2026" in client.get("/history", HTTP_ACCEPT=BROWSER).content.decode()
