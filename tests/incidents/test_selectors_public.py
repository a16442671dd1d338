"""Selectors added for the public site: incidents per day, lookups by id, history windows."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from incidents import selectors, services


def test_incidents_by_day_covers_every_day_an_incident_was_open(
    page, operator, api, web, django_assert_num_queries
):
    now = timezone.now()
    incident = services.incident_create(
        name="Long one",
        body="x",
        actor=operator,
        component_statuses={api: "major_outage"},
        at=now - timedelta(days=3),
    )
    services.incident_resolve(
        incident=incident, body="ok", actor=operator, at=now - timedelta(days=1)
    )
    with django_assert_num_queries(1):
        result = selectors.incidents_by_day([api, web], page=page, days=90, now=now)
    today = now.astimezone(page.tz).date()
    days = sorted(result[api.id])
    assert days == [today - timedelta(days=n) for n in (3, 2, 1)]
    assert result[api.id][days[0]][0].name == "Long one"
    assert result[api.id][days[0]][0].impact == "critical"
    assert web.id not in result


def test_incidents_by_day_ignores_incidents_before_the_window(page, operator, api):
    now = timezone.now()
    incident = services.incident_create(
        name="Ancient", body="x", actor=operator, component_statuses={api: "major_outage"},
        at=now - timedelta(days=200),
    )  # fmt: skip
    services.incident_resolve(
        incident=incident, body="ok", actor=operator, at=now - timedelta(days=150)
    )
    assert selectors.incidents_by_day([api], page=page, days=90, now=now) == {}


def test_open_incident_runs_to_today(page, operator, api):
    now = timezone.now()
    services.incident_create(
        name="Still open", body="x", actor=operator, component_statuses={api: "partial_outage"},
        at=now - timedelta(days=1),
    )  # fmt: skip
    result = selectors.incidents_by_day([api], page=page, days=90, now=now)
    assert now.astimezone(page.tz).date() in result[api.id]


def test_get_by_public_id(page, operator):
    incident = services.incident_create(name="A", body="x", actor=operator)
    assert selectors.incident_get(incident.public_id) == incident
    assert selectors.incident_get("nonexistent00") is None
    assert selectors.maintenance_get(incident.public_id) is None


def test_history_between_and_exists_before(page, operator, django_assert_num_queries):
    now = timezone.now()
    old = services.incident_create(
        name="Old", body="x", actor=operator, at=now - timedelta(days=40), backfilled=True
    )
    services.incident_resolve(incident=old, body="ok", actor=operator, at=now - timedelta(days=40))
    window = services.maintenance_schedule(
        name="M", scheduled_for=now + timedelta(days=2), scheduled_until=now + timedelta(days=3),
        components=[], actor=operator,
    )  # fmt: skip
    assert list(selectors.incidents_started_between(now - timedelta(days=41), now)) == [old]
    assert list(selectors.incidents_started_between(now - timedelta(days=10), now)) == []
    # A window still ahead is not history; once started it is.
    assert list(selectors.maintenance_scheduled_between(now, now + timedelta(days=5))) == []
    services.maintenance_start(maintenance=window, actor=operator)
    assert list(selectors.maintenance_scheduled_between(now, now + timedelta(days=5))) == [window]
    with django_assert_num_queries(1):
        assert selectors.history_exists_before(now - timedelta(days=39))
    assert not selectors.history_exists_before(now - timedelta(days=41))


def test_uptime_outage_across_midnight_splits_between_days(page, operator, api):
    """Pins uptime_daily's day split (its inner loop now visits only overlapping days)."""
    from datetime import datetime, time

    tz = page.tz
    today = timezone.now().astimezone(tz).date()
    midnight = datetime.combine(today - timedelta(days=2), time.min, tzinfo=tz)
    services.component_status_set(
        component=api, status="major_outage", actor=operator, at=midnight - timedelta(minutes=30)
    )
    services.component_status_set(
        component=api, status="operational", actor=operator, at=midnight + timedelta(minutes=90)
    )
    services.component_status_set(
        component=api, status="partial_outage", actor=operator, at=midnight + timedelta(hours=5)
    )
    services.component_status_set(
        component=api, status="operational", actor=operator, at=midnight + timedelta(hours=6)
    )
    days = {d.day: d for d in selectors.uptime_daily([api], page=page, days=5)[api.id].days}
    before, after = days[today - timedelta(days=3)], days[today - timedelta(days=2)]
    assert before.major_seconds == 30 * 60
    assert after.major_seconds == 90 * 60
    assert after.partial_seconds == 3600
    assert after.downtime_seconds == 90 * 60 + 0.3 * 3600
    assert days[today].downtime_seconds == 0
