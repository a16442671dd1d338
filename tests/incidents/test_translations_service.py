"""Operator translations of an incident's name and an update's body: only offered languages
other than the page's own, never empty or oversized; each write is audited, merges by
language and moves the public generation."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import services
from incidents.models import AuditEntry, Incident, IncidentUpdate, Page
from incidents.services import ServiceError


@pytest.fixture
def incident(api, operator) -> Incident:
    return services.incident_create(
        name="API errors",
        body="Looking into it.",
        actor=operator,
        at=timezone.now() - timedelta(hours=1),
        component_statuses={api: "partial_outage"},
    )


def _generation(page) -> int:
    return Page.objects.get(pk=page.pk).generation


def test_translating_an_update_stores_it_audits_and_bumps_generation(incident, page, operator):
    update = incident.updates.get()
    before = _generation(page)
    services.translations_set(
        obj=update, translations={"de": {"body": " Wir prüfen es. "}}, actor=operator
    )
    assert IncidentUpdate.objects.get(pk=update.pk).translations == {
        "de": {"body": "Wir prüfen es."}
    }
    assert _generation(page) == before + 1
    entry = AuditEntry.objects.get(action="incidentupdate.translate")
    assert entry.after == {"translations": {"de": {"body": "Wir prüfen es."}}}


def test_translations_merge_by_language_and_none_removes_one(incident, operator):
    services.translations_set(
        obj=incident,
        translations={"de": {"name": "API-Fehler"}, "fr": {"name": "Erreurs de l'API"}},
        actor=operator,
    )
    services.translations_set(
        obj=incident, translations={"fr": None, "ja": {"name": "APIエラー"}}, actor=operator
    )
    assert Incident.objects.get(pk=incident.pk).translations == {
        "de": {"name": "API-Fehler"},
        "ja": {"name": "APIエラー"},
    }


@pytest.mark.parametrize(
    "translations, field",
    [
        ({"xx": {"body": "x"}}, "translations.xx"),
        # The original is in the page's language: it is not a translation of itself.
        ({"en": {"body": "x"}}, "translations.en"),
        ({"de": {"body": "   "}}, "translations.de.body"),
        ({"de": {"body": "x" * 50_001}}, "translations.de.body"),
        ({"de": {"body": "Wir\x00prüfen"}}, "translations.de.body"),
        ({"de": {"name": "x"}}, "translations.de"),
        ({"de": "Wir prüfen es."}, "translations.de"),
        (["de"], "translations"),
    ],
)
def test_a_bad_translation_is_refused_and_writes_nothing(
    incident, page, operator, translations, field
):
    update = incident.updates.get()
    before = _generation(page)
    with pytest.raises(ServiceError) as refused:
        services.translations_set(obj=update, translations=translations, actor=operator)
    assert refused.value.field == field
    assert IncidentUpdate.objects.get(pk=update.pk).translations == {}
    assert _generation(page) == before
    assert not AuditEntry.objects.filter(action__endswith=".translate")


def test_a_language_the_install_does_not_offer_is_refused(incident, operator, settings):
    settings.PUBLIC_LANGUAGES = ("en", "de")
    with pytest.raises(ServiceError, match="not a language this page offers"):
        services.translations_set(obj=incident, translations={"fr": {"name": "x"}}, actor=operator)


def test_an_incident_name_translation_is_limited_like_the_name(incident, operator):
    with pytest.raises(ServiceError, match="at most 200"):
        services.translations_set(
            obj=incident, translations={"de": {"name": "x" * 201}}, actor=operator
        )


def test_a_maintenance_and_its_updates_take_translations(api, operator):
    window = services.maintenance_schedule(
        name="Database upgrade",
        body="We upgrade the database.",
        scheduled_for=timezone.now() + timedelta(hours=1),
        scheduled_until=timezone.now() + timedelta(hours=2),
        components=[api],
        actor=operator,
    )
    services.translations_set(
        obj=window, translations={"de": {"name": "Datenbank-Upgrade"}}, actor=operator
    )
    update = window.updates.get()
    services.translations_set(
        obj=update, translations={"de": {"body": "Wir aktualisieren."}}, actor=operator
    )
    window.refresh_from_db()
    update.refresh_from_db()
    assert window.translations["de"]["name"] == "Datenbank-Upgrade"
    assert update.translations["de"]["body"] == "Wir aktualisieren."
