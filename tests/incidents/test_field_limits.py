"""Oversized and NUL-bearing text is refused by every write path with a ServiceError naming
the field, and nothing is half-written (PostgreSQL would otherwise fail with a DataError)."""

from __future__ import annotations

import pytest

from incidents import services
from incidents.enums import ComponentStatus
from incidents.models import MAX_TEXT_LENGTH, AuditEntry, Component, Incident, IncidentUpdate
from incidents.services import ServiceError

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("name", "description", "field", "message"),
    [
        ("x" * 121, "", "name", "too long"),
        ("API", "d" * (MAX_TEXT_LENGTH + 1), "description", "too long"),
        ("A\x00PI", "", "name", "NUL"),
    ],
)
def test_component_create_refuses_bad_text(page, operator, name, description, field, message):
    with pytest.raises(ServiceError, match=message) as info:
        services.component_create(name=name, description=description, actor=operator)
    assert info.value.field == field
    assert not Component.objects.exists()
    assert not AuditEntry.objects.exists()


def test_component_update_refuses_and_keeps_the_old_values(page, operator, api):
    with pytest.raises(ServiceError) as info:
        services.component_update(component=api, name="y" * 500, actor=operator)
    assert info.value.field == "name"
    api.refresh_from_db()
    assert api.name == "API"


def test_incident_with_an_oversized_body_leaves_nothing_behind(page, operator, api):
    audits = AuditEntry.objects.count()
    with pytest.raises(ServiceError) as info:
        services.incident_create(
            name="Errors",
            body="b" * (MAX_TEXT_LENGTH + 1),
            component_statuses={api: ComponentStatus.MAJOR_OUTAGE},
            actor=operator,
        )
    assert info.value.field == "body"
    assert not Incident.objects.exists() and not IncidentUpdate.objects.exists()
    assert AuditEntry.objects.count() == audits
    api.refresh_from_db()
    assert api.status == ComponentStatus.OPERATIONAL


def test_update_with_a_nul_is_refused(page, operator, api):
    incident = services.incident_create(name="Errors", body="x", actor=operator)
    with pytest.raises(ServiceError, match="NUL"):
        services.incident_update_post(
            incident=incident, status="identified", body="a\x00b", actor=operator
        )
    assert incident.updates.count() == 1


@pytest.mark.parametrize(
    ("address", "channel"),
    [
        ("https://hooks.example.com/" + "a" * 600, "webhook"),
        ("ann\x00@example.com", "email"),
        ("a" * 600 + "@example.com", "email"),
    ],
)
def test_public_subscribe_form_answers_400_for_oversized_or_nul_addresses(
    client, page, address, channel
):
    response = client.post(
        "/subscribe",
        {"channel": channel, "address": address, "contact_email": "ops@example.com"},
    )
    assert response.status_code == 400


# Models whose text is written by the system, never typed: their values come from enums, from
# checked names, or from providers' answers that the delivery code cleans before storing.
SYSTEM_WRITTEN = {
    "incidents.AuditEntry",  # object names already checked, actors from usernames
    "notifications.Event",  # an enum
    "notifications.Delivery",  # states and providers' ids and short errors
    "notifications.DeliveryAttempt",  # excerpts cleaned when recorded
    "access.Membership",  # a role enum
}


def test_every_model_with_typed_text_checks_its_characters():
    """Every text field of every model that stores input goes through check_text_fields on
    save: control characters, lone surrogates and over-long values are refused there."""
    from django.apps import apps
    from django.db import models

    from incidents.models import CheckedModel

    unchecked = sorted(
        model._meta.label
        for model in apps.get_models()
        if model._meta.app_label in ("incidents", "notifications", "access", "automation")
        and any(isinstance(f, models.CharField | models.TextField) for f in model._meta.fields)
        and not issubclass(model, CheckedModel)
        and model._meta.label not in SYSTEM_WRITTEN
    )
    assert unchecked == []


@pytest.mark.parametrize("char", ["\x07", "\x1b", "\x7f", "\ud800"], ids=repr)
def test_control_characters_and_lone_surrogates_are_refused_naming_the_field(page, operator, char):
    with pytest.raises(ServiceError) as info:
        services.component_create(name=f"A{char}PI", actor=operator)
    assert info.value.field == "name"
    assert not Component.objects.exists()


def test_tab_and_newlines_are_text(page, operator):
    component = services.component_create(name="API", description="a\tb\r\nc", actor=operator)
    assert component.description == "a\tb\r\nc"
