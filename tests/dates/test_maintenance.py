"""Maintenance windows at the EDGES: typed in the page's zone, started, completed and reminded
at their real instants, exported to iCal with their real length."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from icalendar import Calendar

from incidents import services
from incidents.models import Maintenance


def _window(start, end, components, operator, **extra):
    return services.maintenance_schedule(
        name="Upgrade",
        scheduled_for=start,
        scheduled_until=end,
        components=components,
        actor=operator,
        **extra,
    )


def _wall(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M")


def _odd_wall_time(edge) -> datetime:
    """A wall-clock time of the clock-change day that the clock skips or shows twice."""
    day = edge.long_day[0]
    for minutes in range(0, 24 * 60, 30):
        wall = edge.local(day, minutes // 60, minutes % 60)
        round_trip = wall.astimezone(UTC).astimezone(edge.tz).replace(tzinfo=None)
        skipped = round_trip != wall.replace(tzinfo=None)
        repeated = wall.utcoffset() != wall.replace(fold=1).utcoffset()
        if skipped or repeated:
            return wall
    raise AssertionError(f"{day} has no skipped or repeated time")


def test_a_window_typed_across_the_clock_change_lasts_its_real_hours(
    dst_edge, responder_client, api
):
    day, hours = dst_edge.long_day
    start, end = dst_edge.local(day, 0, 30), dst_edge.local(day, 4, 30)
    with time_machine.travel(dst_edge.local(day - timedelta(days=1), 12), tick=False):
        response = responder_client.post(
            "/dashboard/maintenance/new/",
            {"name": "Upgrade", "scheduled_for": _wall(start), "scheduled_until": _wall(end),
             "components": [api.pk], "body": "", "notify": ""},
        )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    window = Maintenance.objects.get()
    # Four hours on the wall clock: three real ones when it jumps forward, five when it falls back.
    assert window.scheduled_until - window.scheduled_for == timedelta(hours=4 + hours - 24)


def test_a_time_the_clock_skips_or_repeats_is_a_form_error(dst_edge, responder_client, api):
    odd = _odd_wall_time(dst_edge)
    with time_machine.travel(dst_edge.local(odd.date() - timedelta(days=1), 12), tick=False):
        response = responder_client.post(
            "/dashboard/maintenance/new/",
            {"name": "Upgrade", "scheduled_for": _wall(odd),
             "scheduled_until": _wall(odd + timedelta(hours=3)), "components": [api.pk],
             "body": "", "notify": ""},
        )  # fmt: skip
    assert response.status_code == 400  # the form again, with the error
    assert "couldn’t be interpreted in time zone" in response.content.decode()
    assert not Maintenance.objects.exists()


def test_the_reminder_comes_its_minutes_before_in_real_time(dst_edge, api, operator):
    """Two hours before 03:30 on a clock-change day is 00:30 (spring) or 02:30 (autumn) on
    the wall clock; a wall-clock subtraction would say 01:30 in both."""
    day, _hours = dst_edge.long_day
    start = dst_edge.local(day, 3, 30)
    due = start.astimezone(UTC) - timedelta(minutes=120)
    with time_machine.travel(due - timedelta(days=1), tick=False):
        window = _window(start, start + timedelta(hours=1), [api], operator,
                         remind_before_minutes=120)  # fmt: skip
    assert services.maintenance_run_due(now=due - timedelta(minutes=1))["reminded"] == []
    assert services.maintenance_run_due(now=due)["reminded"] == [window.id]


def test_the_tick_starts_and_completes_at_the_window_s_instants(edge, api, operator):
    with time_machine.travel(edge.now - timedelta(days=1), tick=False):
        window = _window(edge.now, edge.now + timedelta(hours=2), [api], operator)
    assert services.maintenance_run_due(now=edge.now - timedelta(seconds=1))["started"] == []
    assert services.maintenance_run_due(now=edge.now)["started"] == [window.id]
    later = edge.now + timedelta(hours=2)
    assert services.maintenance_run_due(now=later - timedelta(seconds=1))["completed"] == []
    assert services.maintenance_run_due(now=later)["completed"] == [window.id]


def test_ical_events_are_in_utc_and_as_long_as_the_window(client, edge, api, operator):
    start = edge.now + timedelta(hours=1)
    end = start + timedelta(days=1)  # a day later on the wall clock, whatever the clock did
    window = _window(start, end, [api], operator)
    event = Calendar.from_ical(client.get("/maintenance.ics").content).walk("VEVENT")[0]
    assert event.decoded("dtstart") == window.scheduled_for.replace(microsecond=0)
    assert event.decoded("dtstart").utcoffset() == timedelta(0)
    assert event.decoded("dtend") - event.decoded("dtstart") == end - start
