"""Maintenance: windows, restore of pre-maintenance statuses, interplay with incidents, the tick."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from incidents import services
from incidents.models import Maintenance
from incidents.services import ServiceError


def _status(component):
    component.refresh_from_db()
    return component.status


@pytest.fixture
def window(api, operator):
    start = timezone.now() + timedelta(hours=1)
    return services.maintenance_schedule(
        name="DB upgrade",
        scheduled_for=start,
        scheduled_until=start + timedelta(hours=2),
        components=[api],
        actor=operator,
        body="Upgrading.",
    )


def test_starting_puts_components_under_maintenance_and_completing_restores(api, window, operator):
    services.maintenance_start(maintenance=window, actor=operator)
    assert _status(api) == "under_maintenance"
    services.maintenance_complete(maintenance=window, actor=operator)
    window.refresh_from_db()
    assert _status(api) == "operational"
    assert window.status == "completed" and window.completed_at and window.cancelled_at is None
    assert [u.status for u in window.updates.all()] == ["completed", "in_progress", "scheduled"]


def test_a_window_ending_leaves_maintenance_set_by_hand_alone(api, window, operator):
    services.component_status_set(component=api, status="partial_outage", actor=operator)
    services.component_status_set(component=api, status="under_maintenance", actor=operator)
    services.maintenance_start(maintenance=window, actor=operator)
    services.maintenance_complete(maintenance=window, actor=operator)
    assert _status(api) == "under_maintenance"
    services.component_maintenance_end(component=api, actor=operator)
    assert _status(api) == "partial_outage"


def test_ending_maintenance_by_hand_during_a_window_leaves_the_window(api, window, operator):
    services.maintenance_start(maintenance=window, actor=operator)
    services.component_status_set(component=api, status="under_maintenance", actor=operator)
    services.component_maintenance_end(component=api, actor=operator)
    assert _status(api) == "under_maintenance"
    services.maintenance_complete(maintenance=window, actor=operator)
    assert _status(api) == "operational"


def test_ending_maintenance_restores_the_pre_maintenance_manual_status(api, window, operator):
    services.component_status_set(component=api, status="degraded_performance", actor=operator)
    services.maintenance_start(maintenance=window, actor=operator)
    services.maintenance_complete(maintenance=window, actor=operator)
    assert _status(api) == "degraded_performance"


def test_ending_maintenance_during_an_incident_keeps_the_incident_status(api, window, operator):
    services.maintenance_start(maintenance=window, actor=operator)
    incident = services.incident_create(
        name="Broke during upgrade",
        body="b",
        actor=operator,
        component_statuses={api: "partial_outage"},
    )
    assert _status(api) == "partial_outage"  # an outage outranks maintenance
    services.maintenance_complete(maintenance=window, actor=operator)
    assert _status(api) == "partial_outage"  # never blindly operational
    services.incident_resolve(incident=incident, body="done", actor=operator)
    assert _status(api) == "operational"


def test_resolving_an_incident_during_maintenance_returns_to_maintenance(api, window, operator):
    incident = services.incident_create(
        name="x", body="b", actor=operator, component_statuses={api: "major_outage"}
    )
    services.maintenance_start(maintenance=window, actor=operator)
    assert _status(api) == "major_outage"
    services.incident_resolve(incident=incident, body="done", actor=operator)
    assert _status(api) == "under_maintenance"


def test_cancelling_a_running_window_restores_and_is_marked(api, window, operator, events):
    services.maintenance_start(maintenance=window, actor=operator)
    services.maintenance_cancel(maintenance=window, actor=operator)
    window.refresh_from_db()
    assert _status(api) == "operational"
    assert window.status == "completed" and window.cancelled_at is not None
    assert events[-1].kind == "maintenance.cancelled"


def test_invalid_transitions_are_refused(window, operator):
    with pytest.raises(ServiceError, match="cannot become completed"):
        services.maintenance_complete(maintenance=window, actor=operator)
    services.maintenance_cancel(maintenance=window, actor=operator)
    with pytest.raises(ServiceError, match="cannot be rescheduled"):
        services.maintenance_reschedule(
            maintenance=window,
            scheduled_for=window.scheduled_for,
            scheduled_until=window.scheduled_until,
            actor=operator,
        )


def test_window_must_end_after_it_starts(api, operator):
    start = timezone.now()
    with pytest.raises(ServiceError, match="end after it starts"):
        services.maintenance_schedule(
            name="x", scheduled_for=start, scheduled_until=start, components=[api], actor=operator
        )
    # ... and the database enforces it for writes that bypass the service.
    with pytest.raises(IntegrityError), transaction.atomic():
        Maintenance.objects.create(
            name="raw", scheduled_for=start, scheduled_until=start - timedelta(minutes=1)
        )


def test_rescheduling_moves_the_window_and_rearms_the_reminder(window, operator, events):
    window.reminded_at = timezone.now()
    window.save()
    new_start = window.scheduled_for + timedelta(days=1)
    services.maintenance_reschedule(
        maintenance=window,
        scheduled_for=new_start,
        scheduled_until=new_start + timedelta(hours=1),
        actor=operator,
    )
    window.refresh_from_db()
    assert window.scheduled_for == new_start and window.reminded_at is None
    assert events[-1].kind == "maintenance.rescheduled"


def test_updates_on_a_running_window(api, window, operator):
    services.maintenance_start(maintenance=window, actor=operator)
    update = services.maintenance_update_post(
        maintenance=window, status="verifying", body="Checking.", actor=operator
    )
    assert update.status == "verifying" and _status(api) == "under_maintenance"
    with pytest.raises(ServiceError):
        services.maintenance_update_post(
            maintenance=window, status="completed", body="x", actor=operator
        )


def test_the_tick_starts_reminds_and_completes_on_time(api, operator, events):
    now = timezone.now()
    start = now + timedelta(minutes=30)
    window = services.maintenance_schedule(
        name="x",
        scheduled_for=start,
        scheduled_until=start + timedelta(hours=1),
        components=[api],
        actor=operator,
        remind_before_minutes=60,
    )
    assert services.maintenance_run_due(now=now) == {
        "started": [],
        "completed": [],
        "reminded": [window.id],
    }
    assert services.maintenance_run_due(now=now)["reminded"] == []  # reminded once only
    assert events[-1].kind == "maintenance.reminder"

    window.scheduled_for, window.scheduled_until = (
        now - timedelta(minutes=5),
        now + timedelta(hours=1),
    )
    window.save()
    assert services.maintenance_run_due()["started"] == [window.id]
    assert _status(api) == "under_maintenance"

    window.scheduled_until = timezone.now()
    window.save()
    assert services.maintenance_run_due()["completed"] == [window.id]
    assert _status(api) == "operational"


def test_windows_without_auto_start_wait_for_an_operator(api, operator):
    past = timezone.now() - timedelta(minutes=1)
    services.maintenance_schedule(
        name="x",
        scheduled_for=past,
        scheduled_until=past + timedelta(hours=1),
        components=[api],
        actor=operator,
        auto_start=False,
    )
    assert services.maintenance_run_due()["started"] == []
    assert _status(api) == "operational"


def test_the_tick_job_starts_a_due_window(api, operator):
    from incidents.jobs import maintenance_tick

    past = timezone.now() - timedelta(minutes=1)
    window = services.maintenance_schedule(
        name="x",
        scheduled_for=past,
        scheduled_until=past + timedelta(hours=1),
        components=[api],
        actor=operator,
    )
    assert maintenance_tick()["started"] == [window.id]
    assert _status(api) == "under_maintenance"


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"name": "  "}, "name", "needs a name"),
        ({"scheduled_until": None}, "scheduled_for", "a start and an end"),
        ({"naive": True}, "scheduled_for", "time zone"),
        ({"remind_before_minutes": 0}, "remind_before_minutes", "positive number"),
        ({"remind_before_minutes": -30}, "remind_before_minutes", "positive number"),
    ],
)
def test_a_bad_window_is_refused_and_nothing_is_scheduled(
    api, operator, events, change, field, message
):
    start = timezone.now() + timedelta(hours=1)
    args = {
        "name": "DB upgrade",
        "scheduled_for": start,
        "scheduled_until": start + timedelta(hours=1),
        "components": [api],
        "actor": operator,
    }
    if change.pop("naive", False):
        args["scheduled_for"] = timezone.make_naive(start, timezone.get_default_timezone())
    with pytest.raises(ServiceError, match=message) as refused:
        services.maintenance_schedule(**args | change)
    assert refused.value.field == field
    assert not Maintenance.objects.exists() and events == []


def test_a_running_window_may_move_its_end_but_not_its_start(api, window, operator):
    services.maintenance_start(maintenance=window, actor=operator)
    window.refresh_from_db()
    started, ends = window.scheduled_for, window.scheduled_until
    with pytest.raises(ServiceError, match="only change its end") as refused:
        services.maintenance_reschedule(
            maintenance=window,
            scheduled_for=started + timedelta(minutes=30),
            scheduled_until=ends,
            actor=operator,
        )
    assert refused.value.field == "scheduled_for"
    window.refresh_from_db()
    assert (window.scheduled_for, window.scheduled_until) == (started, ends)

    services.maintenance_reschedule(
        maintenance=window,
        scheduled_for=started,
        scheduled_until=ends + timedelta(hours=1),
        actor=operator,
    )
    window.refresh_from_db()
    assert window.scheduled_until == ends + timedelta(hours=1)
    assert _status(api) == "under_maintenance"


def test_an_update_on_a_running_window_needs_a_message(window, operator):
    services.maintenance_start(maintenance=window, actor=operator)
    count = window.updates.count()
    with pytest.raises(ServiceError, match="needs a message") as refused:
        services.maintenance_update_post(
            maintenance=window, status="verifying", body="   ", actor=operator
        )
    assert refused.value.field == "body"
    assert window.updates.count() == count
