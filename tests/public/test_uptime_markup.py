"""The uptime markup (statuspage/public/uptime.py): one figure format, the legend from the
page's thresholds, each day's summary, and the moments behind the days that the script
re-counts in the reader's zone (with a margin before the window)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone

from incidents import selectors, services
from incidents.selectors import READER_MARGIN, ComponentUptime, IncidentRef, UptimeDay
from statuspage.public import uptime


@pytest.mark.parametrize(
    ("percent", "shown"),
    [
        (100.0, "100.00%"),
        (99.999, "99.99%"),  # any downtime never reads as 100.00%
        (99.9149, "99.91%"),
        (99.91, "99.91%"),
        (0.0, "0.00%"),
        (None, "no data yet"),
    ],
)
def test_one_figure_format(percent, shown):
    assert uptime.uptime_figure(percent) == shown


def test_legend_names_each_level_of_the_default_thresholds():
    assert uptime.legend((0, 20, 40, 60)) == [
        ("l0", "No downtime"),
        ("l1", "Up to 20 min"),
        ("l2", "20–40 min"),
        ("l3", "40 min – 1 h"),
        ("l4", "Over 1 h"),
    ]


def test_legend_of_custom_thresholds():
    assert [words for _, words in uptime.legend((5, 30, 120, 240))] == [
        "Up to 5 min", "5–30 min", "30 min – 2 h", "2 h – 4 h", "Over 4 h",
    ]  # fmt: skip


def test_day_summary_lists_each_outage_type_and_the_incidents():
    day = UptimeDay(date(2026, 11, 18), True, major_seconds=600, partial_seconds=6900,
                    degraded_seconds=0, downtime_seconds=2670, level=2)  # fmt: skip
    refs = [IncidentRef("a", "API errors", "major"), IncidentRef("b", "Slow DB", "minor")]
    assert uptime.day_summary(day, refs) == (
        "Nov 18, 2026: major outage 10 min, partial outage 1 h 55 min · API errors, Slow DB"
    )
    assert uptime.day_summary(UptimeDay(date(2026, 11, 18), True), []) == (
        "Nov 18, 2026: no downtime"
    )
    assert uptime.day_summary(UptimeDay(date(2028, 2, 29), False), []) == "Feb 29, 2028: no data"


def test_bar_cells_escape_names_and_focus_only_days_with_something_to_say():
    days = [
        UptimeDay(date(2026, 11, 16), False),
        UptimeDay(date(2026, 11, 17), True, level=0),
        UptimeDay(date(2026, 11, 18), True, major_seconds=60, downtime_seconds=60, level=1),
    ]
    refs = {date(2026, 11, 18): [IncidentRef("x", "<b>bold</b>", "minor")]}
    html = str(uptime.bar_cells(ComponentUptime(1, days), refs))
    assert html.count("<li") == 3
    assert '<li class="nodata"><span class="sum">Nov 16, 2026: no data</span></li>' in html
    assert '<li class="l0"><span class="sum">Nov 17, 2026: no downtime</span></li>' in html
    assert '<li class="l1" tabindex="0">' in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "<b>" not in html


def test_source_attrs_encode_stretches_as_epoch_seconds():
    since = datetime(2026, 11, 1, tzinfo=UTC)
    down = [
        (datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 2, 1, tzinfo=UTC), "major_outage"),
        (datetime(2026, 11, 3, tzinfo=UTC), None, "degraded_performance"),
    ]
    data = ComponentUptime(1, [], since=since, start=since - READER_MARGIN, down=down)
    attrs = str(uptime.source_attrs(data))
    assert f'data-since="{int(since.timestamp())}"' in attrs
    assert f'data-from="{int((since - READER_MARGIN).timestamp())}"' in attrs
    first = int(down[0][0].timestamp())
    assert f'data-down="{first},{first + 3600},M;{int(down[1][0].timestamp())},,D"' in attrs


def test_refs_list_links_each_incident_with_its_span():
    start = datetime(2026, 11, 2, tzinfo=UTC)
    refs = [IncidentRef("abcdefghijkl", "A & B", "minor", start, None)]
    html = str(uptime.refs_list(refs))
    assert html.startswith('<ul class="refs" hidden>')
    assert (
        f'<a href="/incidents/abcdefghijkl" data-span="{int(start.timestamp())} ">A &amp; B</a>'
        in html
    )
    assert str(uptime.refs_list([])) == ""


def test_rules_attrs_carry_the_weights_and_thresholds(page):
    page.partial_outage_weight = "0.3"
    page.uptime_thresholds_minutes = [5, 30, 120, 240]
    assert str(uptime.rules_attrs(page)) == ' data-weights="0.3 0" data-levels="5 30 120 240"'


def test_stretches_and_incidents_reach_a_margin_before_the_window(page, operator, api):
    """A reader's first day can start a day before the page zone's: what happened just before
    the window still reaches the page, while the page-zone days ignore it."""
    now = timezone.now()
    first = now.astimezone(page.tz).date() - timedelta(days=89)
    before = datetime.combine(first, datetime.min.time(), tzinfo=page.tz) - timedelta(hours=20)
    api.created_at = before - timedelta(days=10)
    api.save()
    incident = services.incident_create(
        name="Just before", body="x", actor=operator, component_statuses={api: "major_outage"},
        at=before,
    )  # fmt: skip
    services.incident_resolve(
        incident=incident, body="ok", actor=operator, at=before + timedelta(hours=2)
    )
    data = selectors.uptime_daily([api], page=page, days=90, now=now)[api.id]
    assert data.downtime_seconds == 0  # outside the page-zone days
    assert data.down == [(before, before + timedelta(hours=2), "major_outage")]
    assert data.start <= before
    touching = selectors.incidents_touching([api], page=page, days=90, now=now)[api.id]
    assert [ref.name for ref in touching] == ["Just before"]
    assert selectors.incidents_by_day([api], page=page, days=90, now=now) == {}


def test_an_ongoing_stretch_has_no_end_and_starts_no_earlier_than_tracking(
    page, operator, make_component
):
    now = timezone.now()
    fresh = make_component("Fresh", status="partial_outage", created_at=now - timedelta(days=3))
    data = selectors.uptime_daily([fresh], page=page, days=90, now=now)[fresh.id]
    assert len(data.down) == 1
    assert data.down[0][0] == fresh.created_at and data.down[0][1] is None


def test_front_page_lists_todays_open_incident_under_today(client, page, operator, api):
    services.incident_create(
        name="Happening now", body="x", actor=operator, component_statuses={api: "major_outage"}
    )
    html = client.get("/").content.decode()
    past = html[html.index('id="h-past"') :]
    today = timezone.now().astimezone(page.tz).strftime("%b %-d, %Y")
    first_day = past[past.index("<li>") : past.index("</li>")]
    assert f"<h3>{today}</h3>" in first_day and "Happening now" in first_day
    assert "No incidents reported" not in first_day
    assert re.search(r'<p data-at="\d+"><a href="/incidents/', first_day)


def test_refs_by_day_spans_each_incidents_days_within_the_window():
    tz = UTC
    start = datetime(2026, 2, 27, 22, tzinfo=UTC)
    long = IncidentRef("a", "Leap", "minor", start, datetime(2026, 3, 1, 1, tzinfo=UTC))
    open_one = IncidentRef("b", "Open", "minor", datetime(2026, 2, 1, tzinfo=UTC), None)
    undated = IncidentRef("c", "No start", "minor")
    by_day = selectors.refs_by_day(
        [long, open_one, undated], first=date(2026, 2, 28), today=date(2026, 3, 2), tz=tz
    )
    assert sorted(by_day) == [date(2026, 2, 28), date(2026, 3, 1), date(2026, 3, 2)]
    assert by_day[date(2026, 2, 28)] == [long, open_one]  # the open one from the first day
    assert by_day[date(2026, 3, 2)] == [open_one]
