"""90-day uptime from the status log, in the page's time zone."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from incidents import services
from incidents.selectors import uptime_daily

LA = ZoneInfo("America/Los_Angeles")


def local(day, hour, minute=0):
    return datetime(2026, 3, day, hour, minute, tzinfo=LA)


@pytest.fixture
def la_page(page):
    page.time_zone = "America/Los_Angeles"
    page.save()
    return page


def _set(component, status, at, actor):
    services.component_status_set(component=component, status=status, at=at, actor=actor)
    component.refresh_from_db()  # the selector reads the status of the objects it is given


def _days(result, component):
    return {d.day: d for d in result[component.id].days}


def test_an_outage_across_local_midnight_is_split_between_the_two_days(la_page, api, operator):
    _set(api, "major_outage", local(6, 23), operator)
    _set(api, "operational", local(7, 1), operator)
    days = _days(uptime_daily([api], page=la_page, days=5, now=local(10, 12)), api)
    assert days[date(2026, 3, 6)].major_seconds == 3600
    assert days[date(2026, 3, 7)].major_seconds == 3600
    assert days[date(2026, 3, 7)].level == 3  # 60 min exceeds 0, 20 and 40


def test_day_boundaries_follow_the_page_zone_not_utc(la_page, api, operator):
    # 02:00-03:00 UTC on March 7th is the evening of March 6th in Los Angeles.
    utc = ZoneInfo("UTC")
    _set(api, "major_outage", datetime(2026, 3, 7, 2, tzinfo=utc), operator)
    _set(api, "operational", datetime(2026, 3, 7, 3, tzinfo=utc), operator)
    days = _days(uptime_daily([api], page=la_page, days=5, now=local(10, 12)), api)
    assert days[date(2026, 3, 6)].major_seconds == 3600
    assert days[date(2026, 3, 7)].major_seconds == 0


def test_the_daylight_saving_day_is_23_hours_long(la_page, api):
    # Clocks jump from 02:00 to 03:00 on 2026-03-08 in Los Angeles.
    days = _days(uptime_daily([api], page=la_page, days=5, now=local(10, 12)), api)
    assert days[date(2026, 3, 8)].tracked_seconds == 23 * 3600
    assert days[date(2026, 3, 9)].tracked_seconds == 24 * 3600
    assert days[date(2026, 3, 10)].tracked_seconds == 12 * 3600  # today, up to now


def test_partial_and_degraded_time_are_weighted(la_page, api, operator):
    _set(api, "partial_outage", local(9, 8), operator)
    _set(api, "degraded_performance", local(9, 9, 40), operator)  # 100 min partial
    _set(api, "operational", local(9, 10, 40), operator)  # 60 min degraded
    day = _days(uptime_daily([api], page=la_page, days=5, now=local(10, 12)), api)[date(2026, 3, 9)]
    assert (day.partial_seconds, day.degraded_seconds) == (6000, 3600)
    assert day.downtime_seconds == pytest.approx(0.3 * 6000)  # default weights 0.3 and 0
    assert day.level == 2

    la_page.partial_outage_weight, la_page.degraded_weight = Decimal("0.5"), Decimal("0.25")
    la_page.uptime_thresholds_minutes = [0, 100, 200, 300]
    day = _days(uptime_daily([api], page=la_page, days=5, now=local(10, 12)), api)[date(2026, 3, 9)]
    assert day.downtime_seconds == pytest.approx(0.5 * 6000 + 0.25 * 3600)
    assert day.level == 1


def test_maintenance_is_not_downtime(la_page, api, operator):
    window = services.maintenance_schedule(
        name="m",
        scheduled_for=local(9, 1),
        scheduled_until=local(9, 3),
        components=[api],
        actor=operator,
    )
    services.maintenance_start(maintenance=window, actor=operator, at=local(9, 1))
    services.maintenance_complete(maintenance=window, actor=operator, at=local(9, 3))
    day = _days(uptime_daily([api], page=la_page, days=5, now=local(10, 12)), api)[date(2026, 3, 9)]
    assert day.downtime_seconds == 0 and day.level == 0


def test_days_before_the_start_date_have_no_data(la_page, make_component):
    fresh = make_component("New region", start_date=date(2026, 3, 9))
    result = uptime_daily([fresh], page=la_page, days=5, now=local(10, 12))
    days = _days(result, fresh)
    assert [days[date(2026, 3, d)].has_data for d in (6, 7, 8, 9, 10)] == [
        False,
        False,
        False,
        True,
        True,
    ]
    assert days[date(2026, 3, 6)].level is None
    assert result[fresh.id].uptime_percent == 100.0


def test_an_outage_still_running_counts_up_to_now(la_page, api, operator):
    _set(api, "major_outage", local(10, 11), operator)
    result = uptime_daily([api], page=la_page, days=5, now=local(10, 12))
    assert _days(result, api)[date(2026, 3, 10)].major_seconds == 3600
    tracked = (4 * 24 - 1 + 12) * 3600
    assert result[api.id].uptime_percent == pytest.approx(100 * (1 - 3600 / tracked))


def test_a_component_with_no_changes_in_the_window_keeps_its_status(la_page, api, operator):
    _set(api, "major_outage", local(1, 0), operator)  # before the 5-day window
    result = uptime_daily([api], page=la_page, days=5, now=local(10, 12))
    assert _days(result, api)[date(2026, 3, 6)].major_seconds == 24 * 3600
    assert result[api.id].uptime_percent == 0.0


def test_one_query_for_all_components(la_page, make_component, operator, django_assert_num_queries):
    components = [make_component(f"C{n}") for n in range(12)]
    for n, component in enumerate(components):
        _set(component, "partial_outage", local(7, n), operator)
        _set(component, "operational", local(7, n, 30), operator)
    with django_assert_num_queries(1):
        result = uptime_daily(components, page=la_page, days=90, now=local(10, 12))
    assert len(result) == 12 and all(len(r.days) == 90 for r in result.values())
    assert result[components[3].id].days[-4].partial_seconds == 1800
    assert result[components[3].id].days[-4].day == date(2026, 3, 7)
    assert (local(10, 12) - timedelta(days=89)).date() == result[components[0].id].days[0].day
