"""Uptime measured by monitors: a component with monitors takes the down minutes of their
hourly rollups into its days (where the status log does not already hold them), and its bar
says since when it is measured. Page-zone days, DST changes included."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents import services
from incidents.models import ComponentStatusChange
from incidents.selectors import uptime_daily
from statuspage.monitors.models import Kind, Monitor, Resolution, Rollup
from statuspage.public import uptime

pytestmark = pytest.mark.django_db


def _monitor(component, *, interval: int = 30, failure_status: str = "major_outage") -> Monitor:
    return Monitor.objects.create(
        name=f"{component.name} health",
        component=component,
        kind=Kind.HTTP,
        url="https://example.com/health",
        interval_seconds=interval,
        failure_status=failure_status,
    )


def _hour(monitor: Monitor, start: datetime, *, failed: int = 0, count: int = 120) -> None:
    Rollup.objects.create(
        monitor=monitor,
        resolution=Resolution.HOUR,
        start=start,
        count=count - failed,
        failed=failed,
        total=40.0 * (count - failed),
    )


def _today(data, component):
    return data[component.id].days[-1]


@pytest.mark.frozen_at("2026-11-18T12:00:00+00:00")
def test_failed_checks_become_down_minutes_of_the_day(page, api, web):
    monitor = _monitor(api)
    _hour(monitor, datetime(2026, 11, 18, 9, tzinfo=UTC), failed=20)  # 20 x 30 s = 10 min
    _hour(monitor, datetime(2026, 11, 18, 10, tzinfo=UTC))
    _hour(monitor, datetime(2026, 11, 17, 23, tzinfo=UTC), failed=4)  # yesterday: 2 min
    data, since = uptime.daily([api, web], page=page, days=90, now=timezone.now())
    today = _today(data, api)
    assert today.major_seconds == 600
    assert today.downtime_seconds == 600
    assert today.level == 1
    assert data[api.id].days[-2].major_seconds == 120
    # The moments the script re-counts carry the same minutes, from the hour's start.
    assert (datetime(2026, 11, 18, 9, tzinfo=UTC), datetime(2026, 11, 18, 9, 10, tzinfo=UTC),
            "major_outage") in data[api.id].down  # fmt: skip
    assert since == {api.id: datetime(2026, 11, 17).date()}
    assert _today(data, web).downtime_seconds == 0


@pytest.mark.frozen_at("2026-11-18T12:00:00+00:00")
def test_an_outage_in_the_status_log_is_not_counted_twice(page, api, operator):
    monitor = _monitor(api)
    # The monitor drove the component down 09:05-09:15 (in the log); its hour holds 12 min
    # of failed checks: only the 2 min the log lacks are added.
    services.component_status_set(
        component=api, status="major_outage", actor=operator,
        at=datetime(2026, 11, 18, 9, 5, tzinfo=UTC),
    )  # fmt: skip
    services.component_status_set(
        component=api, status="operational", actor=operator,
        at=datetime(2026, 11, 18, 9, 15, tzinfo=UTC),
    )  # fmt: skip
    assert ComponentStatusChange.objects.filter(component=api).count() == 2
    _hour(monitor, datetime(2026, 11, 18, 9, tzinfo=UTC), failed=24)
    data, _ = uptime.daily([api], page=page, days=90, now=timezone.now())
    assert _today(data, api).major_seconds == 720
    extra = [s for s in data[api.id].down if s[0] == datetime(2026, 11, 18, 9, tzinfo=UTC)]
    assert extra == [
        (datetime(2026, 11, 18, 9, tzinfo=UTC), datetime(2026, 11, 18, 9, 2, tzinfo=UTC),
         "major_outage")
    ]  # fmt: skip


@pytest.mark.frozen_at("2026-11-18T12:00:00+00:00")
def test_the_monitor_failure_status_weighs_the_minutes(page, api):
    monitor = _monitor(api, failure_status="partial_outage")
    _hour(monitor, datetime(2026, 11, 18, 9, tzinfo=UTC), failed=40)  # 20 min
    data, _ = uptime.daily([api], page=page, days=90, now=timezone.now())
    today = _today(data, api)
    assert (today.major_seconds, today.partial_seconds) == (0, 1200)
    assert today.downtime_seconds == pytest.approx(1200 * float(page.partial_outage_weight))


def test_a_dst_day_takes_every_hour_it_holds(page, api, dst_edge):
    """Each UTC hour from the long (or short) day's local midnight to now holds one failed
    minute: the day counts exactly those hours (23 or 25 h days included); the hour before
    midnight belongs to the day before."""
    monitor = _monitor(api, interval=60)
    day, _hours = dst_edge.long_day
    midnight = dst_edge.local(day).astimezone(UTC)
    hours = int((dst_edge.now - midnight).total_seconds() // 3600)
    for n in range(hours):
        _hour(monitor, midnight + timedelta(hours=n), failed=1, count=60)
    _hour(monitor, midnight - timedelta(hours=1), failed=3, count=60)
    data, _ = uptime.daily([api], page=page, days=90, now=timezone.now())
    today = _today(data, api)
    assert today.day == day
    assert today.major_seconds == hours * 60
    assert today.tracked_seconds == (dst_edge.now - midnight).total_seconds()
    assert data[api.id].days[-2].major_seconds == 180


@pytest.mark.frozen_at("2026-11-18T12:00:00+00:00")
def test_the_front_page_notes_the_measured_component(client, page, api, web):
    monitor = _monitor(api)
    _hour(monitor, datetime(2026, 11, 3, 9, tzinfo=UTC), failed=120)  # a whole hour down
    html = client.get("/").content.decode()
    notes = re.findall(r'<p class="measured">([^<]*)</p>', html)
    assert notes == ["Measured by monitors since Nov 3, 2026"]
    cells = re.search(r'aria-label="Daily uptime of API, last 90 days">(.*?)</ol>', html, re.S)
    assert cells is not None and "Nov 3, 2026: major outage 1 h" in cells.group(1)
    assert "99.95% uptime" in html  # 1 h of 89.5 days tracked


@pytest.mark.frozen_at("2026-11-18T12:00:00+00:00")
def test_a_disabled_or_silent_monitor_measures_nothing(client, page, api):
    _monitor(api)  # no rollups yet
    silent = _monitor(api)
    silent.enabled = False
    silent.save()
    _hour(silent, datetime(2026, 11, 18, 9, tzinfo=UTC), failed=20)
    assert 'class="measured"' not in client.get("/").content.decode()


@pytest.mark.frozen_at("2026-11-18T12:00:00+00:00")
def test_the_note_is_translated(client, page, api):
    _hour(_monitor(api), datetime(2026, 11, 3, 9, tzinfo=UTC), failed=2)
    html = client.get("/de/").content.decode()
    assert re.findall(r'<p class="measured">([^<]*)</p>', html) == [
        "Von Monitoren gemessen seit 3. Nov. 2026"
    ]


@pytest.mark.frozen_at("2026-11-18T12:00:00+00:00")
def test_measured_bars_cost_two_queries_whatever_the_monitors(page, make_component):
    components = [make_component(f"C{n}") for n in range(6)]
    for n, component in enumerate(components):
        for _ in range(n % 3 + 1):
            _hour(_monitor(component), datetime(2026, 11, 18, 9, tzinfo=UTC), failed=n)
    now = timezone.now()
    with CaptureQueriesContext(connection) as plain:
        uptime_daily(components, page=page, days=90, now=now)
    with CaptureQueriesContext(connection) as measured:
        _, since = uptime.daily(components, page=page, days=90, now=now)
    assert len(measured) == len(plain) + 2
    assert len(since) == 6


@pytest.mark.frozen_at("2026-11-18T12:00:00+00:00")
def test_the_uptime_page_notes_the_chosen_measured_component(client, page, api, web):
    """/uptime says under the chosen component's figure that monitors measure it, from the
    first hour they measured, and counts their minutes into its calendars and figure; a
    component without monitors has no note."""
    monitor = _monitor(api)
    _hour(monitor, datetime(2026, 11, 3, 9, tzinfo=UTC), failed=120)  # a whole hour down
    html = client.get(f"/uptime?component={api.public_id}").content.decode()
    detail = re.search(r'<section class="uptime-detail".*?</section>', html, re.S)
    assert detail is not None
    notes = re.findall(r'<p class="measured">([^<]*)</p>', detail.group(0))
    assert notes == ["Measured by monitors since Nov 3, 2026"]
    assert "Nov 3, 2026: major outage 1 h" in detail.group(0)
    assert "99.95% uptime" in detail.group(0)
    other = client.get(f"/uptime?component={web.public_id}").content.decode()
    assert '<p class="measured"' not in other
    # The list of every component still marks the API, and only it, under its name.
    marks = re.findall(r'>([^<>]+)</a><small class="measured">([^<]*)</small>', other)
    assert marks == [("API", "measured by monitors")]


@pytest.mark.frozen_at("2026-11-18T12:00:00+00:00")
def test_the_uptime_page_note_follows_the_first_measured_hour_in_the_page_zone(client, page, api):
    """The date is the page zone's: the hour from 23:00 UTC on Nov 2 is Nov 3 in Berlin."""
    page.time_zone = "Europe/Berlin"
    page.save()
    _hour(_monitor(api), datetime(2026, 11, 2, 23, tzinfo=UTC), failed=2)
    html = client.get("/uptime").content.decode()
    assert re.findall(r'<p class="measured">([^<]*)</p>', html) == [
        "Measured by monitors since Nov 3, 2026"
    ]


@pytest.mark.frozen_at("2026-11-18T12:00:00+00:00")
def test_the_uptime_page_note_is_translated(client, page, api):
    _hour(_monitor(api), datetime(2026, 11, 3, 9, tzinfo=UTC), failed=2)
    html = client.get("/de/uptime").content.decode()
    assert re.findall(r'<p class="measured">([^<]*)</p>', html) == [
        "Von Monitoren gemessen seit 3. Nov. 2026"
    ]
