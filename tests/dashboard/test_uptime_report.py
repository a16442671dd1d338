"""The dashboard's uptime report: a month or a range of the page's days, as a page, a CSV and a
printable page; days are the page zone's, month ends, year ends, 29 February and DST days
included; monitors' measured minutes count."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.utils import timezone

from incidents import services
from statuspage.monitors.models import Kind, Monitor, Resolution, Rollup
from statuspage.monitors.uptime import uptime_report

pytestmark = pytest.mark.django_db

URL = "/dashboard/uptime-report/"


def _midnight(day: date, tz) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)


def _csv(response) -> list[dict]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def _outage(component, operator, start: datetime, end: datetime, status="major_outage"):
    services.component_status_set(component=component, status=status, actor=operator, at=start)
    services.component_status_set(component=component, status="operational", actor=operator, at=end)


def test_the_month_so_far_counts_the_page_zone_days(edge, page, api, operator, viewer_client):
    """This month to now, in the page's zone: tracked time runs from the zone's first of the
    month (whatever UTC's date), and an outage across today's local midnight splits there."""
    today = edge.today
    midnight = _midnight(today, edge.tz)
    _outage(api, operator, midnight - timedelta(hours=1), midnight + timedelta(minutes=30))
    response = viewer_client.get(URL, {"month": today.strftime("%Y-%m")}, follow=True)
    assert response.status_code == 200
    rows = _csv(
        viewer_client.get("/dashboard/uptime-report.csv", {"month": today.strftime("%Y-%m")})
    )
    first = _midnight(today.replace(day=1), edge.tz)
    assert rows[0]["from"] == today.replace(day=1).isoformat()
    assert rows[0]["to"] == today.isoformat()
    assert int(rows[0]["tracked_seconds"]) == round((edge.now - first).total_seconds())
    # The hour before midnight is yesterday's: in this month unless today is the 1st.
    down = 5400 if today.day > 1 else 1800
    assert int(rows[0]["major_outage_seconds"]) == down
    assert int(rows[0]["downtime_seconds"]) == down


def test_a_dst_day_is_as_long_as_the_zone_says(dst_edge, page, api, operator):
    """The day before a DST change, the change day so far, and the range of both."""
    day, hours = dst_edge.long_day
    now = timezone.now()
    one = uptime_report([api], page=page, start=day, end=day, now=now).rows[0]
    assert one.tracked_seconds == (dst_edge.now - _midnight(day, dst_edge.tz)).total_seconds()
    # The whole change day, seen from the next day: 23 or 25 hours.
    later = _midnight(day + timedelta(days=1), dst_edge.tz) + timedelta(hours=1)
    whole = uptime_report([api], page=page, start=day, end=day, now=later).rows[0]
    assert whole.tracked_seconds == hours * 3600
    assert whole.uptime_percent == 100.0


@pytest.mark.parametrize(
    ("frozen", "zone", "month", "days"),
    [
        # 29 February 2028, the evening in New York (1 March in UTC): February has 29 days.
        ("2028-03-02T12:00:00+00:00", "America/New_York", "2028-02", 29),
        # The year's last month, read in the new year's first hour in Kiritimati (UTC+14).
        ("2026-12-31T10:30:00+00:00", "Pacific/Kiritimati", "2026-12", 31),
        # A month with a DST change (Berlin, October): 31 days and one hour.
        ("2026-11-05T12:00:00+00:00", "Europe/Berlin", "2026-10", 31),
    ],
)
def test_a_whole_month_is_its_zone_days(page, api, clock, frozen, zone, month, days):
    clock.move_to(datetime.fromisoformat(frozen))
    page.time_zone = zone
    page.save(update_fields=["time_zone"])
    first = date.fromisoformat(month + "-01")
    last = first + timedelta(days=days - 1)
    expected = _midnight(last + timedelta(days=1), page.tz) - _midnight(first, page.tz)
    report = uptime_report([api], page=page, start=first, end=last, now=timezone.now())
    assert report.rows[0].tracked_seconds == expected.total_seconds()


@pytest.mark.frozen_at("2028-03-01T03:00:00+00:00")
def test_the_leap_day_is_the_last_day_of_february_in_new_york(page, api, operator, viewer_client):
    page.time_zone = "America/New_York"
    page.save(update_fields=["time_zone"])
    # 29 February, 21:00-22:00 in New York: 1 March 02:00-03:00 in UTC.
    _outage(
        api, operator, datetime(2028, 3, 1, 2, tzinfo=UTC), datetime(2028, 3, 1, 2, 59, tzinfo=UTC)
    )
    rows = _csv(viewer_client.get("/dashboard/uptime-report.csv", {"month": "2028-02"}))
    assert (rows[0]["from"], rows[0]["to"]) == ("2028-02-01", "2028-02-29")
    assert rows[0]["major_outage_seconds"] == "3540"
    # Without a range: this month so far, which in New York is still February.
    current = _csv(viewer_client.get("/dashboard/uptime-report.csv"))
    assert (current[0]["from"], current[0]["to"]) == ("2028-02-01", "2028-02-29")
    # March has not begun there: a range from 1 March ends before it starts.
    assert viewer_client.get(URL, {"from": "2028-03-01"}).status_code == 400


@pytest.mark.frozen_at("2026-11-18T12:00:00+00:00")
def test_the_page_csv_and_printable_view_agree(page, api, web, operator, viewer_client):
    _outage(
        api, operator, datetime(2026, 11, 10, 8, tzinfo=UTC), datetime(2026, 11, 10, 9, tzinfo=UTC)
    )
    monitor = Monitor.objects.create(
        name="Web health", component=web, kind=Kind.HTTP, url="https://example.com/",
        interval_seconds=60,
    )  # fmt: skip
    Rollup.objects.create(
        monitor=monitor, resolution=Resolution.HOUR, start=datetime(2026, 11, 12, 3, tzinfo=UTC),
        count=30, failed=30,
    )  # fmt: skip
    query = {"from": "2026-11-01", "to": "2026-11-17"}
    html = viewer_client.get(URL, query).content.decode()
    assert "Uptime from 2026-11-01 to 2026-11-17" in html
    assert "99.75%" in html and "1 h" in html  # API: 1 h of 17 days
    assert "99.87%" in html and "30 min" in html  # Web: 30 failed 1-minute checks
    assert "Status log and monitors (since 2026-11-12)" in html
    assert 'href="/dashboard/uptime-report.csv?from=2026-11-01&amp;to=2026-11-17"' in html
    rows = {
        r["component"]: r for r in _csv(viewer_client.get("/dashboard/uptime-report.csv", query))
    }
    assert rows["API"]["downtime_seconds"] == "3600"
    assert rows["API"]["tracked_seconds"] == str(17 * 86400)
    assert rows["Web"]["downtime_seconds"] == "1800"
    assert rows["Web"]["measured_by_monitors_since"] == "2026-11-12"
    printable = viewer_client.get("/dashboard/uptime-report/print/", query).content.decode()
    assert "<nav" not in printable and "99.75%" in printable


@pytest.mark.frozen_at("2026-11-18T12:00:00+00:00")
@pytest.mark.parametrize(
    "query",
    [
        {"month": "2026-13"},
        {"from": "yesterday"},
        {"to": "2026-11-19"},  # the future
        {"from": "2026-11-10", "to": "2026-11-01"},
        {"from": "2025-01-01"},  # past the rollups' 400 days
    ],
)
def test_a_bad_range_is_a_clear_400(page, viewer_client, query):
    response = viewer_client.get(URL, query)
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert viewer_client.get("/dashboard/uptime-report.csv", query).status_code == 400


def test_the_report_needs_a_signed_in_operator(anon_client):
    response = anon_client.get(URL)
    assert response.status_code in (302, 403)
