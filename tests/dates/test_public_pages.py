"""The public pages at the EDGES: days, months and the last bar are the page's local ones, and
a cached page turns over at local midnight even when nothing was written."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from xml.etree import ElementTree

import time_machine

from incidents import services

ATOM = "{http://www.w3.org/2005/Atom}"


def _html(client, path="/") -> str:
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


def _label(day) -> str:
    return day.strftime("%b %-d, %Y")


def _last_bar_day(html: str) -> str:
    bars = re.search(r'<ol class="bars"[^>]*>(.*?)</ol>', html).group(1)
    return re.findall(r'<span class="sum">([^:<]*):', bars)[-1]


def _resolved_incident(name, start, end, component, operator):
    incident = services.incident_create(
        name=name,
        body="Down.",
        actor=operator,
        component_statuses={component: "major_outage"},
        at=start,
        backfilled=True,
    )
    services.incident_resolve(incident=incident, body="Fixed.", actor=operator, at=end)
    return incident


def test_the_last_uptime_bar_is_the_local_today(client, edge, api):
    assert _last_bar_day(_html(client)) == _label(edge.today)


def test_past_incidents_are_listed_under_their_local_day(client, edge, api, operator):
    yesterday = edge.today - timedelta(days=1)
    _resolved_incident(
        "Late outage", edge.local(yesterday, 23, 50), edge.local(yesterday, 23, 55), api, operator
    )
    html = _html(client)
    past = html[html.index('id="h-past"') :]
    headings = re.findall(r"<h3>([^<]*)</h3>", past)
    assert headings[:2] == [_label(edge.today), _label(yesterday)]
    under_yesterday = past[past.index(_label(yesterday)) :]
    assert "Late outage" in under_yesterday.split("</li>")[0]


def test_a_cached_page_turns_over_at_local_midnight_without_a_write(client, edge, api):
    assert _last_bar_day(_html(client)) == _label(edge.today)
    tomorrow = edge.today + timedelta(days=1)
    with time_machine.travel(edge.local(tomorrow, 0, 5), tick=False):
        assert _last_bar_day(_html(client)) == _label(tomorrow)
        assert f'aria-labelledby="m-{tomorrow.replace(day=1).isoformat()}"' in _html(
            client, "/history"
        )


def test_history_files_items_under_their_local_month(client, edge, api, operator):
    this_month = edge.today.replace(day=1)
    last_day_before = this_month - timedelta(days=1)
    _resolved_incident(
        "Month-end outage",
        edge.local(last_day_before, 23, 40),
        edge.local(last_day_before, 23, 50),
        api,
        operator,
    )
    html = _html(client, "/history")
    sections = re.findall(r'<section aria-labelledby="m-([0-9-]+)"', html)
    assert sections[0] == this_month.isoformat()
    assert sections[1] == last_day_before.replace(day=1).isoformat()
    previous = html[html.index(f'id="m-{sections[1]}"') :].split("</section>")[0]
    assert "Month-end outage" in previous


def test_the_uptime_calendar_shows_the_local_month_and_the_two_before(client, edge, api):
    captions = re.findall(r"<caption>([^<]*)</caption>", _html(client, "/uptime"))
    first = edge.today.replace(day=1)
    second = (first - timedelta(days=1)).replace(day=1)
    third = (second - timedelta(days=1)).replace(day=1)
    assert captions == [m.strftime("%B %Y") for m in (third, second, first)]  # oldest first


def test_feed_dates_are_the_items_instants(client, edge, api, operator):
    started = edge.now - timedelta(hours=1)
    _resolved_incident("Feed outage", started, edge.now, api, operator)
    rss = ElementTree.fromstring(client.get("/history.rss").content)  # noqa: S314 - our own output
    pub_date = parsedate_to_datetime(rss.find("./channel/item/pubDate").text)
    assert pub_date == started.replace(microsecond=0)
    atom = ElementTree.fromstring(client.get("/history.atom").content)  # noqa: S314
    updated = atom.find(f"{ATOM}entry/{ATOM}updated").text
    assert datetime.fromisoformat(updated) == edge.now.replace(microsecond=0)
