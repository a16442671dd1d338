"""Incident writes: statuses imposed and restored, the log, the audit trail, events."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import services
from incidents.models import AuditEntry, ComponentStatusChange, Incident, IncidentUpdate, Page
from incidents.services import ServiceError


def _status(component):
    component.refresh_from_db()
    return component.status


def test_declaring_an_incident_imposes_statuses_and_logs_them(api, web, operator, events):
    incident = services.incident_create(
        name="API down",
        body="Looking into it.",
        actor=operator,
        component_statuses={api: "major_outage", web: "degraded_performance"},
    )
    assert (_status(api), _status(web)) == ("major_outage", "degraded_performance")
    assert incident.impact == "critical"
    change = ComponentStatusChange.objects.get(component=api)
    assert (change.old_status, change.new_status, change.source, change.actor, change.incident) == (
        "operational",
        "major_outage",
        "incident",
        "alice",
        incident,
    )
    update = incident.updates.get()
    assert update.status == "investigating"
    assert update.affected_components == [
        {
            "code": api.public_id,
            "name": "API",
            "old_status": "operational",
            "new_status": "major_outage",
        },
        {
            "code": web.public_id,
            "name": "Web",
            "old_status": "operational",
            "new_status": "degraded_performance",
        },
    ]
    entry = AuditEntry.objects.filter(action="incident.created").get()
    assert (entry.actor, entry.via, entry.object_id) == ("alice", "dashboard", incident.public_id)
    assert [e.kind for e in events] == ["incident.created"]
    assert events[0].notify is True and set(events[0].component_ids) == {api.id, web.id}


def test_resolving_restores_operational(api, operator):
    incident = services.incident_create(
        name="x", body="b", actor=operator, component_statuses={api: "partial_outage"}
    )
    update = services.incident_resolve(incident=incident, body="Fixed.", actor=operator)
    incident.refresh_from_db()
    assert _status(api) == "operational"
    assert incident.status == "resolved" and incident.resolved_at is not None
    assert incident.impact == "major"  # the recorded impact stays what it reached
    assert update.affected_components == [
        {
            "code": api.public_id,
            "name": "API",
            "old_status": "partial_outage",
            "new_status": "operational",
        }
    ]


def test_resolving_restores_status_held_by_other_incident(api, operator):
    first = services.incident_create(
        name="A", body="b", actor=operator, component_statuses={api: "major_outage"}
    )
    second = services.incident_create(
        name="B", body="b", actor=operator, component_statuses={api: "degraded_performance"}
    )
    assert _status(api) == "major_outage"
    services.incident_resolve(incident=first, body="A fixed", actor=operator)
    assert _status(api) == "degraded_performance"
    services.incident_resolve(incident=second, body="B fixed", actor=operator)
    assert _status(api) == "operational"


def test_overlapping_incidents_resolved_in_creation_order_keep_the_worst(api, operator):
    mild = services.incident_create(
        name="A", body="b", actor=operator, component_statuses={api: "degraded_performance"}
    )
    bad = services.incident_create(
        name="B", body="b", actor=operator, component_statuses={api: "partial_outage"}
    )
    services.incident_resolve(incident=mild, body="A fixed", actor=operator)
    assert _status(api) == "partial_outage"
    services.incident_resolve(incident=bad, body="B fixed", actor=operator)
    assert _status(api) == "operational"


def test_resolving_returns_to_the_manual_base_status(api, operator):
    services.component_status_set(component=api, status="degraded_performance", actor=operator)
    incident = services.incident_create(
        name="x", body="b", actor=operator, component_statuses={api: "major_outage"}
    )
    services.incident_resolve(incident=incident, body="done", actor=operator)
    assert _status(api) == "degraded_performance"


def test_an_update_can_lower_a_status_while_the_incident_stays_open(api, operator):
    incident = services.incident_create(
        name="x", body="b", actor=operator, component_statuses={api: "major_outage"}
    )
    services.incident_update_post(
        incident=incident,
        status="monitoring",
        body="Recovering",
        actor=operator,
        component_statuses={api: "operational"},
    )
    incident.refresh_from_db()
    assert _status(api) == "operational"
    assert incident.monitoring_at is not None and incident.impact == "critical"


def test_reopening_a_resolved_incident_imposes_its_statuses_again(api, operator):
    incident = services.incident_create(
        name="x", body="b", actor=operator, component_statuses={api: "partial_outage"}
    )
    services.incident_resolve(incident=incident, body="done", actor=operator)
    services.incident_update_post(
        incident=incident, status="investigating", body="Back", actor=operator
    )
    incident.refresh_from_db()
    assert incident.resolved_at is None and _status(api) == "partial_outage"


def test_impact_override_wins(api, operator):
    incident = services.incident_create(
        name="x",
        body="b",
        actor=operator,
        component_statuses={api: "degraded_performance"},
        impact_override="critical",
    )
    assert incident.impact == "critical" and incident.computed_impact == "minor"


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"name": "  "}, "name"),
        ({"body": ""}, "body"),
        ({"status": "exploded"}, "status"),
        ({"status": "postmortem"}, "status"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(api, operator, kwargs, field):
    args = {"name": "x", "body": "b", "actor": operator} | kwargs
    with pytest.raises(ServiceError) as exc:
        services.incident_create(**args)
    assert exc.value.field == field
    assert not Incident.objects.exists() and not IncidentUpdate.objects.exists()


def test_incidents_cannot_put_components_under_maintenance(api, operator):
    with pytest.raises(ServiceError, match="maintenance window"):
        services.incident_create(
            name="x", body="b", actor=operator, component_statuses={api: "under_maintenance"}
        )


def test_a_failing_event_handler_rolls_back_the_whole_change(api, operator, settings):
    settings.STATUSPAGE_EVENT_HANDLER = "tests.incidents.test_incident_services.explode"
    with pytest.raises(RuntimeError):
        services.incident_create(
            name="x", body="b", actor=operator, component_statuses={api: "major_outage"}
        )
    assert _status(api) == "operational"
    assert not Incident.objects.exists()
    assert not ComponentStatusChange.objects.exists()


def explode(event):
    raise RuntimeError("outbox unavailable")


def test_backdated_changes_may_not_precede_the_log(api, operator):
    now = timezone.now()
    services.incident_create(
        name="x",
        body="b",
        actor=operator,
        at=now - timedelta(hours=1),
        component_statuses={api: "partial_outage"},
    )
    with pytest.raises(ServiceError, match="before the last recorded status change"):
        services.incident_create(
            name="y",
            body="b",
            actor=operator,
            at=now - timedelta(hours=2),
            component_statuses={api: "major_outage"},
        )
    with pytest.raises(ServiceError, match="in the future"):
        services.incident_create(name="z", body="b", actor=operator, at=now + timedelta(hours=2))


def test_every_write_bumps_the_public_generation_on_commit(
    api, operator, django_capture_on_commit_callbacks
):
    before = Page.objects.get().generation
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.incident_create(name="x", body="b", actor=operator)
    assert Page.objects.get().generation == before + 1
    assert callbacks  # the cache is told after commit


def test_editing_an_update_changes_text_only_and_is_audited(api, operator):
    incident = services.incident_create(name="x", body="typo", actor=operator)
    update = incident.updates.get()
    services.incident_update_edit(update=update, body="fixed text", actor=operator)
    update.refresh_from_db()
    assert update.body == "fixed text"
    entry = AuditEntry.objects.get(action="incident_update.edit")
    assert entry.before == {"body": "typo"} and entry.after == {"body": "fixed text"}


def test_postmortem_is_published_only_after_resolution(api, operator, events):
    incident = services.incident_create(name="x", body="b", actor=operator)
    services.postmortem_save_draft(incident=incident, body="What happened", actor=operator)
    with pytest.raises(ServiceError, match="Resolve the incident"):
        services.postmortem_publish(incident=incident, actor=operator)
    services.incident_resolve(incident=incident, body="done", actor=operator)
    incident = services.postmortem_publish(incident=incident, actor=operator)
    assert incident.status == "postmortem" and incident.postmortem_body == "What happened"
    assert events[-1].kind == "incident.postmortem_published"


def test_notify_choice_travels_with_the_event(api, operator, events):
    incident = services.incident_create(name="x", body="b", actor=operator, notify=False)
    services.incident_resolve(incident=incident, body="done", actor=operator, notify=True)
    assert [(e.kind, e.notify) for e in events] == [
        ("incident.created", False),
        ("incident.resolved", True),
    ]


def test_reopening_imposes_the_statuses_it_had_and_records_the_change(api, web, operator, events):
    incident = services.incident_create(
        name="API down", body="x", actor=operator, component_statuses={api: "major_outage"}
    )
    services.incident_resolve(incident=incident, body="Fixed.", actor=operator)
    assert _status(api) == "operational"
    update = services.incident_reopen(
        incident=incident, status="monitoring", body="Errors again.", actor=operator
    )
    incident.refresh_from_db()
    assert (incident.status, incident.resolved_at, _status(api)) == (
        "monitoring",
        None,
        "major_outage",
    )
    assert update.affected_components[0]["new_status"] == "major_outage"
    assert AuditEntry.objects.filter(action="incident.reopened").count() == 1
    assert events[-1].kind == "incident.updated"


def test_reopening_refuses_an_open_incident_and_a_closed_status(api, operator):
    incident = services.incident_create(name="API down", body="x", actor=operator)
    with pytest.raises(ServiceError, match="post an update instead"):
        services.incident_reopen(incident=incident, status="identified", body="y", actor=operator)
    services.incident_resolve(incident=incident, body="Fixed.", actor=operator)
    with pytest.raises(ServiceError, match="Reopen to investigating"):
        services.incident_reopen(incident=incident, status="resolved", body="y", actor=operator)
    assert incident.updates.count() == 2
