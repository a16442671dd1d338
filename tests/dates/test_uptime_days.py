"""Uptime days at the instants that break naive date code (tests/conftest.py EDGES): the days
are the page's local days, each as long as the clock made it."""

from __future__ import annotations

from datetime import UTC, timedelta

import time_machine

from incidents import services
from incidents.selectors import page_get, uptime_daily


def _days(component, days=90):
    return uptime_daily([component], page=page_get(), days=days)[component.id].days


def _seconds_between(a, b) -> float:
    # In UTC: subtracting two datetimes that share a ZoneInfo compares wall clocks.
    return (b.astimezone(UTC) - a.astimezone(UTC)).total_seconds()


def test_the_days_end_on_the_page_local_today(edge, api):
    days = _days(api)
    assert len(days) == 90
    assert days[-1].day == edge.today
    assert [d.day for d in days] == [edge.today - timedelta(n) for n in range(89, -1, -1)]


def test_today_is_tracked_from_local_midnight(edge, api):
    today = _days(api)[-1]
    assert today.tracked_seconds == _seconds_between(edge.local(edge.today), edge.now)
    if edge.long_day and edge.long_day[0] == edge.today:
        # Noon on a clock-change day: 11 hours after midnight in spring, 13 in autumn.
        assert today.tracked_seconds == (edge.long_day[1] - 12) * 3600


def test_every_past_day_is_as_long_as_the_clock_made_it(edge, api):
    with time_machine.travel(edge.now + timedelta(days=3), tick=False):
        days = {d.day: d for d in _days(api, days=10)}
    long_day, hours = edge.long_day or (None, 24)
    for day in list(days)[:-1]:  # every day but the (partial) last
        expected = hours if day == long_day else 24
        assert days[day].tracked_seconds == expected * 3600, day


def test_an_outage_across_local_midnight_is_split_at_local_midnight(edge, api, operator):
    yesterday = edge.today - timedelta(days=1)
    services.component_status_set(
        component=api, status="major_outage", at=edge.local(yesterday, 23), actor=operator
    )
    services.component_status_set(
        component=api, status="operational", at=edge.local(edge.today, 0, 15), actor=operator
    )
    api.refresh_from_db()
    days = {d.day: d for d in _days(api, days=3)}
    assert days[yesterday].major_seconds == 3600
    assert days[edge.today].major_seconds == 15 * 60
    assert (days[yesterday].level, days[edge.today].level) == (3, 1)  # 60 and 15 minutes


def test_an_outage_through_the_clock_change_counts_real_seconds(dst_edge, api, operator):
    """Down from local midnight to 06:00 on a clock-change day: 5 hours when the clocks jump
    forward, 7 when they fall back."""
    edge = dst_edge
    day, hours = edge.long_day
    services.component_status_set(
        component=api, status="major_outage", at=edge.local(day, 0), actor=operator
    )
    services.component_status_set(
        component=api, status="operational", at=edge.local(day, 6), actor=operator
    )
    api.refresh_from_db()
    with time_machine.travel(edge.local(day + timedelta(days=1), 12), tick=False):
        days = {d.day: d for d in _days(api, days=3)}
    assert days[day].major_seconds == (6 + hours - 24) * 3600
    assert days[day].tracked_seconds == hours * 3600
