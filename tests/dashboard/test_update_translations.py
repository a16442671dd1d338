"""The dashboard's translate form on an incident's or a maintenance window's update: a
responder adds one language's message (and the incident's or window's name); bad input is a
form error; viewers cannot."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import services
from incidents.models import Incident, IncidentUpdate, MaintenanceUpdate

pytestmark = pytest.mark.django_db


@pytest.fixture
def update(api, operator) -> IncidentUpdate:
    incident = services.incident_create(
        name="API errors",
        body="We are looking into it.",
        actor=operator,
        at=timezone.now(),
        component_statuses={api: "partial_outage"},
    )
    return incident.updates.get()


def _url(update) -> str:
    return f"/dashboard/incidents/updates/{update.public_id}/translate/"


def test_a_responder_translates_the_message_and_the_name(responder_client, update):
    page = responder_client.get(_url(update)).content.decode()
    assert "We are looking into it." in page and 'value="de"' in page
    # The original's language is not offered as a translation.
    assert 'value="en"' not in page
    response = responder_client.post(
        _url(update), {"language": "de", "name": "API-Fehler", "body": "Wir prüfen es."}
    )
    assert response.status_code == 302
    update.refresh_from_db()
    assert update.translations == {"de": {"body": "Wir prüfen es."}}
    assert Incident.objects.get().translations == {"de": {"name": "API-Fehler"}}
    detail = responder_client.get(response["Location"]).content.decode()
    assert "Translated: de" in detail
    again = responder_client.get(_url(update)).content.decode()
    assert "Deutsch" in again and "API-Fehler" in again


@pytest.mark.parametrize(
    "data, error",
    [
        ({"language": "de", "name": " ", "body": ""}, "Give a translated name"),
        ({"language": "xx", "body": "x"}, "Select a valid choice"),
    ],
)
def test_bad_translations_are_form_errors(responder_client, update, data, error):
    response = responder_client.post(_url(update), data)
    assert response.status_code == 400
    assert error in response.content.decode()
    update.refresh_from_db()
    assert update.translations == {}


def test_a_viewer_cannot_translate(viewer_client, update):
    response = viewer_client.post(_url(update), {"language": "de", "body": "x"})
    assert response.status_code in (302, 403)
    update.refresh_from_db()
    assert update.translations == {}


# --- a maintenance window's update: the same form ----------------------------------------------


@pytest.fixture
def window_update(api, operator) -> MaintenanceUpdate:
    start = timezone.now() + timedelta(days=1)
    window = services.maintenance_schedule(
        name="Database upgrade",
        scheduled_for=start,
        scheduled_until=start + timedelta(hours=2),
        components=[api],
        actor=operator,
        body="We upgrade the database.",
    )
    return window.updates.get()


def _window_url(update) -> str:
    return f"/dashboard/maintenance/updates/{update.public_id}/translate/"


def test_a_responder_translates_a_windows_update_and_its_name(responder_client, window_update):
    window = window_update.maintenance
    detail = responder_client.get(f"/dashboard/maintenance/{window.public_id}/").content.decode()
    assert f'href="{_window_url(window_update)}"' in detail
    form = responder_client.get(_window_url(window_update)).content.decode()
    assert "We upgrade the database." in form and "Maintenance name" in form
    assert 'value="de"' in form and 'value="en"' not in form
    response = responder_client.post(
        _window_url(window_update),
        {"language": "de", "name": "Datenbank-Upgrade", "body": "Wir aktualisieren die Datenbank."},
    )
    assert response.status_code == 302
    assert response["Location"] == f"/dashboard/maintenance/{window.public_id}/"
    window_update.refresh_from_db()
    window.refresh_from_db()
    assert window_update.translations == {"de": {"body": "Wir aktualisieren die Datenbank."}}
    assert window.translations == {"de": {"name": "Datenbank-Upgrade"}}
    assert "Translated: de" in responder_client.get(response["Location"]).content.decode()
    again = responder_client.get(_window_url(window_update)).content.decode()
    assert "Deutsch" in again and "Datenbank-Upgrade" in again
    # Readers of the German page get it.
    public = responder_client.get(f"/de/maintenance/{window.public_id}").content.decode()
    assert "Datenbank-Upgrade" in public and "Wir aktualisieren die Datenbank." in public


def test_a_windows_bad_translation_is_a_form_error(responder_client, window_update):
    too_long = {"language": "de", "name": "x" * 201, "body": ""}
    response = responder_client.post(_window_url(window_update), too_long)
    assert response.status_code == 400
    assert "at most 200 characters" in response.content.decode()
    response = responder_client.post(_window_url(window_update), {"language": "de", "body": " "})
    assert response.status_code == 400 and "Give a translated name" in response.content.decode()
    window_update.refresh_from_db()
    assert window_update.translations == {} and window_update.maintenance.translations == {}


def test_a_viewer_cannot_translate_a_window(viewer_client, window_update):
    response = viewer_client.post(_window_url(window_update), {"language": "de", "body": "x"})
    assert response.status_code in (302, 403)
    window_update.refresh_from_db()
    assert window_update.translations == {}
    detail = viewer_client.get(f"/dashboard/maintenance/{window_update.maintenance.public_id}/")
    assert _window_url(window_update) not in detail.content.decode()
