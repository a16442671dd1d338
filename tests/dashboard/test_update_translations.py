"""The dashboard's translate form on an incident update: a responder adds one language's
message (and the incident's name); bad input is a form error; viewers cannot."""

from __future__ import annotations

import pytest
from django.utils import timezone

from incidents import services
from incidents.models import Incident, IncidentUpdate

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
