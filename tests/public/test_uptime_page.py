"""/uptime: three months of calendars for one component (the first, or ?component=), each
day with its summary in the markup; every component's 90-day figure, as on the front page."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from incidents import services


def test_calendars_of_the_first_component_and_every_components_figure(client, site):
    html = client.get("/uptime").content.decode()
    assert html.count('<table class="cal">') == 3
    assert timezone.now().strftime("%B %Y") in html
    assert re.search(r'<h3 id="u-chosen">API</h3>', html)
    figures = re.findall(r"<span>(\d+\.\d\d%)</span>", html)
    assert len(figures) == 3  # API, Database, Website
    assert "uptime, last 90 days" in html and " % uptime" not in html


def test_the_picker_offers_every_component_by_group(client, site):
    html = client.get("/uptime").content.decode()
    picker = html[html.index('<select id="pick-component"') : html.index("</select>")]
    assert '<optgroup label="Core">' in picker
    assert picker.index(">API<") < picker.index(">Database<") < picker.index("</optgroup>")
    assert picker.index("</optgroup>") < picker.index(">Website<")
    assert f'value="{site["api"].public_id}" selected' in picker


def test_downtime_day_is_coloured_and_described(client, page, operator, api):
    services.component_status_set(component=api, status="major_outage", actor=operator,
                                  at=timezone.now() - timedelta(hours=2))  # fmt: skip
    html = client.get("/uptime").content.decode()
    assert '<td class="l4 today" tabindex="0">' in html
    assert re.search(
        r": major outage (2 h|1 h \d+ min)</span>", html
    )  # split at midnight near 00:00
    assert "0.00% uptime" not in html


@pytest.mark.frozen_at("2026-11-18T12:00:00+00:00")
def test_future_days_are_neither_data_nor_no_data(client, page, api):
    html = client.get("/uptime").content.decode()
    assert (
        '<td class="future"><span aria-hidden="true">19</span>'
        '<span class="sum">Nov 19, 2026: not yet' in html
    )
    assert html.count('<td class="future">') == 12  # Nov 19 to 30


@pytest.mark.frozen_at("2026-12-31T23:30:00+00:00")
def test_months_follow_the_page_zone_across_the_year_end(client, page, api):
    """00:30 on Jan 1, 2027 in Berlin: January is the page zone's month, with one day."""
    page.time_zone = "Europe/Berlin"
    page.save()
    html = client.get("/uptime").content.decode()
    captions = re.findall(r"<caption>([^<]+)</caption>", html)
    assert captions == ["November 2026", "December 2026", "January 2027"]
    assert (
        '<td class="l0 today"><span aria-hidden="true">1</span>'
        '<span class="sum">Jan 1, 2027: no downtime' in html
    )
    assert html.count('<td class="future">') == 30
    # The moments reach back to before a reader a day behind sees (October in New York).
    since = int(re.search(r'data-from="(\d+)"', html).group(1))
    assert since <= datetime(2026, 10, 1, tzinfo=ZoneInfo("Pacific/Honolulu")).timestamp()


def test_single_component_filter(client, site):
    html = client.get(f"/uptime?component={site['web'].public_id}").content.decode()
    assert html.count('<table class="cal">') == 3
    assert '<h3 id="u-chosen">Website</h3>' in html


@pytest.mark.parametrize("value", ["zzzzzzzzzzzz", "<script>", "%00"])
def test_unknown_component_is_404(client, site, value):
    assert client.get("/uptime", {"component": value}).status_code == 404


def test_no_components_says_so(client, page):
    html = client.get("/uptime").content.decode()
    assert "No components to show." in html
