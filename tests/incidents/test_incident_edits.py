"""Corrections after the fact: renaming an incident, changing its impact override, editing an
update's text, time or notification flag. A refused edit writes nothing; an accepted one is
audited with only the fields it changed and notifies nobody."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import services
from incidents.models import AuditEntry, Incident, IncidentUpdate
from incidents.services import ServiceError


@pytest.fixture
def incident(api, operator) -> Incident:
    return services.incident_create(
        name="API errors",
        body="Looking into it.",
        actor=operator,
        at=timezone.now() - timedelta(hours=2),
        component_statuses={api: "partial_outage"},
    )


def _unchanged(incident: Incident, update: IncidentUpdate) -> None:
    fresh = Incident.objects.get(pk=incident.pk)
    assert (fresh.name, fresh.impact_override) == (incident.name, incident.impact_override)
    fresh_update = IncidentUpdate.objects.get(pk=update.pk)
    assert (fresh_update.body, fresh_update.display_at, fresh_update.deliver_notifications) == (
        update.body,
        update.display_at,
        update.deliver_notifications,
    )
    assert not AuditEntry.objects.filter(action__in=["incident.edit", "incident_update.edit"])


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"name": "   "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"impact_override": "catastrophic"}, "impact_override"),
        # Maintenance is a window's impact, never an incident's.
        ({"impact_override": "maintenance"}, "impact_override"),
    ],
)
def test_a_bad_incident_edit_is_refused_and_writes_nothing(incident, operator, kwargs, field):
    update = incident.updates.get()
    with pytest.raises(ServiceError) as refused:
        services.incident_edit(incident=incident, actor=operator, **kwargs)
    assert refused.value.field == field
    _unchanged(incident, update)


def test_renaming_keeps_the_override_and_clearing_the_override_keeps_the_name(
    events, incident, operator
):
    services.incident_edit(incident=incident, actor=operator, name="  API timeouts  ")
    incident.refresh_from_db()
    assert (incident.name, incident.impact_override) == ("API timeouts", None)

    services.incident_edit(incident=incident, actor=operator, impact_override="critical")
    incident.refresh_from_db()
    assert (incident.name, incident.impact, incident.computed_impact) == (
        "API timeouts",
        "critical",
        "major",
    )

    services.incident_edit(incident=incident, actor=operator, impact_override=None)
    incident.refresh_from_db()
    assert (incident.name, incident.impact_override, incident.impact) == (
        "API timeouts",
        None,
        "major",
    )
    edits = AuditEntry.objects.filter(action="incident.edit").order_by("id")
    assert [(e.before["name"], e.after["name"]) for e in edits] == [
        ("API errors", "API timeouts"),
        ("API timeouts", "API timeouts"),
        ("API timeouts", "API timeouts"),
    ]
    assert [e.after["impact_override"] for e in edits] == [None, "critical", None]
    # Only the declaration went out: an edit notifies nobody.
    assert [e.kind for e in events] == ["incident.created"]


def _naive_half_hour_ago() -> dict:
    instant = timezone.now() - timedelta(minutes=30)
    return {"display_at": timezone.make_naive(instant, timezone.get_default_timezone())}


@pytest.mark.parametrize(
    "edit, field, message",
    [
        (lambda incident: {"body": "  "}, "body", "needs a message"),
        (lambda incident: _naive_half_hour_ago(), "display_at", "time zone"),
        (
            lambda incident: {"display_at": timezone.now() + timedelta(hours=1)},
            "display_at",
            "in the future",
        ),
        (
            lambda incident: {"display_at": incident.started_at - timedelta(minutes=1)},
            "display_at",
            "predate its incident",
        ),
    ],
)
def test_a_bad_update_edit_is_refused_and_writes_nothing(incident, operator, edit, field, message):
    update = incident.updates.get()
    kwargs = {"body": None} | edit(incident)
    with pytest.raises(ServiceError, match=message) as refused:
        services.incident_update_edit(update=update, actor=operator, **kwargs)
    assert refused.value.field == field
    _unchanged(incident, update)


def test_an_update_moves_in_time_and_loses_its_notification_flag_with_an_audit_of_those_only(
    incident, operator
):
    update = incident.updates.get()
    moved_to = incident.started_at + timedelta(minutes=10)
    services.incident_update_edit(
        update=update, body=None, actor=operator, display_at=moved_to, deliver_notifications=False
    )
    update.refresh_from_db()
    assert (update.body, update.display_at, update.deliver_notifications) == (
        "Looking into it.",
        moved_to,
        False,
    )
    entry = AuditEntry.objects.get(action="incident_update.edit")
    assert set(entry.before) == set(entry.after) == {"display_at", "deliver_notifications"}
    assert entry.after["deliver_notifications"] is False


def test_an_update_may_not_predate_its_incident(page, operator):
    # No components: the component log has nothing to say, the incident's start still does.
    started_at = timezone.now() - timedelta(hours=2)
    incident = services.incident_create(name="Slow", body="b", actor=operator, at=started_at)
    with pytest.raises(ServiceError, match="predate its incident") as refused:
        services.incident_update_post(
            incident=incident,
            status="identified",
            body="Found it.",
            actor=operator,
            at=started_at - timedelta(minutes=1),
        )
    assert refused.value.field == "at"
    assert incident.updates.count() == 1


def test_an_update_may_set_and_clear_the_impact_override(incident, operator):
    services.incident_update_post(
        incident=incident,
        status="identified",
        body="Worse than it looked.",
        actor=operator,
        impact_override="critical",
    )
    incident.refresh_from_db()
    assert (incident.impact_override, incident.impact) == ("critical", "critical")
    # "" clears it (a form's empty choice); None leaves it as it is.
    services.incident_update_post(
        incident=incident, status="monitoring", body="Fix deployed.", actor=operator
    )
    incident.refresh_from_db()
    assert incident.impact_override == "critical"
    services.incident_update_post(
        incident=incident,
        status="monitoring",
        body="Back to what the components say.",
        actor=operator,
        impact_override="",
    )
    incident.refresh_from_db()
    assert (incident.impact_override, incident.impact) == (None, "major")


def test_an_empty_postmortem_draft_is_not_published(incident, operator, events):
    services.incident_resolve(incident=incident, body="Fixed.", actor=operator)
    services.postmortem_save_draft(incident=incident, body="   ", actor=operator)
    with pytest.raises(ServiceError, match="draft is empty") as refused:
        services.postmortem_publish(incident=incident, actor=operator)
    assert refused.value.field == "postmortem_draft"
    incident.refresh_from_db()
    assert (incident.status, incident.postmortem_published_at) == ("resolved", None)
    assert "incident.postmortem_published" not in [e.kind for e in events]
