"""/api/v1 translations (our extension): an incident's name and the posted update's body in
other languages, accepted on create, PATCH and an update's edit, and shown on every incident
and update the management API returns. Bad input is a JSON 4xx that names the field."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.models import Incident, IncidentUpdate
from statuspage.access.models import Role

pytestmark = pytest.mark.django_db

GERMAN = {"de": {"name": "API-Fehler", "body": "Wir untersuchen erhöhte Fehlerraten."}}


def _create(client, page_url, **fields):
    return client.post(page_url("incidents"), {"incident": fields})


def test_create_stores_the_name_and_body_translations_and_returns_them(v1, page_url, api):
    response = _create(
        v1(Role.RESPONDER),
        page_url,
        name="API errors",
        body="We are investigating raised error rates.",
        translations=GERMAN,
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["name"] == "API errors"
    assert data["translations"] == {"de": {"name": "API-Fehler"}}
    [update] = data["incident_updates"]
    assert update["body"] == "We are investigating raised error rates."
    assert update["translations"] == {"de": {"body": "Wir untersuchen erhöhte Fehlerraten."}}
    stored = Incident.objects.get(public_id=data["id"])
    assert stored.translations == {"de": {"name": "API-Fehler"}}


def test_patch_translates_the_update_it_posts_and_get_shows_it(v1, page_url, api):
    client = v1(Role.RESPONDER)
    created = _create(client, page_url, name="API errors", body="Looking.").json()
    url = page_url(f"incidents/{created['id']}")
    response = client.patch(
        url,
        {
            "incident": {
                "status": "identified",
                "body": "Found it.",
                "translations": {"ja": {"body": "原因を特定しました。"}},
            }
        },
    )
    assert response.status_code == 200, response.content
    newest, first = client.get(url).json()["incident_updates"]
    assert newest["body"] == "Found it."
    assert newest["translations"] == {"ja": {"body": "原因を特定しました。"}}
    assert first["translations"] == {}


def test_an_update_edit_adds_a_body_translation(v1, page_url, api):
    client = v1(Role.RESPONDER)
    created = _create(client, page_url, name="API errors", body="Looking.").json()
    update_id = created["incident_updates"][0]["id"]
    response = client.patch(
        page_url(f"incidents/{created['id']}/incident_updates/{update_id}"),
        {"incident_update": {"translations": {"fr": {"body": "Nous cherchons."}}}},
    )
    assert response.status_code == 200, response.content
    assert response.json()["translations"] == {"fr": {"body": "Nous cherchons."}}
    assert response.json()["body"] == "Looking."
    assert IncidentUpdate.objects.get(public_id=update_id).translations == {
        "fr": {"body": "Nous cherchons."}
    }


@pytest.mark.parametrize(
    "translations, field",
    [
        ({"xx": {"name": "x"}}, "translations.xx"),
        ({"en": {"name": "x"}}, "translations.en"),
        ({"de": {"name": ""}}, "translations.de.name"),
        ({"de": {"body": "x" * 50_001}}, "translations.de.body"),
        ({"de": {"title": "x"}}, "translations.de"),
        ({"de": "API-Fehler"}, "translations.de"),
        ("de", "translations"),
    ],
)
def test_bad_translations_are_refused_and_nothing_is_created(
    v1, page_url, api, translations, field
):
    response = _create(
        v1(Role.RESPONDER), page_url, name="API errors", body="Looking.", translations=translations
    )
    assert response.status_code in (400, 422), response.content
    assert response["Content-Type"].startswith("application/json")
    assert field in response.json()["errors"]
    # One transaction: a refused translation leaves no incident behind.
    assert not Incident.objects.exists()


def test_a_body_translation_without_a_posted_update_is_refused(v1, page_url, api):
    client = v1(Role.RESPONDER)
    created = _create(client, page_url, name="API errors", body="Looking.").json()
    response = client.patch(
        page_url(f"incidents/{created['id']}"),
        {"incident": {"translations": {"de": {"body": "Wir suchen."}}}},
    )
    assert response.status_code == 422
    assert "translations" in response.json()["errors"]


def test_a_window_name_translation_is_accepted(v1, page_url, api):
    start = timezone.now() + timedelta(hours=1)
    response = _create(
        v1(Role.RESPONDER),
        page_url,
        name="Database upgrade",
        body="We upgrade the database.",
        scheduled_for=start.isoformat(),
        scheduled_until=(start + timedelta(hours=1)).isoformat(),
        translations={"de": {"name": "Datenbank-Upgrade", "body": "Wir aktualisieren."}},
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["translations"] == {"de": {"name": "Datenbank-Upgrade"}}
    assert data["incident_updates"][0]["translations"] == {"de": {"body": "Wir aktualisieren."}}


def test_a_window_update_posted_by_patch_takes_its_body_translation(v1, page_url, api):
    client = v1(Role.RESPONDER)
    start = timezone.now() + timedelta(hours=1)
    created = _create(
        client,
        page_url,
        name="Database upgrade",
        scheduled_for=start.isoformat(),
        scheduled_until=(start + timedelta(hours=1)).isoformat(),
    ).json()
    response = client.patch(
        page_url(f"incidents/{created['id']}"),
        {
            "incident": {
                "status": "in_progress",
                "body": "Started.",
                "translations": {"de": {"name": "Datenbank-Upgrade", "body": "Begonnen."}},
            }
        },
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["translations"] == {"de": {"name": "Datenbank-Upgrade"}}
    assert data["incident_updates"][0]["body"] == "Started."
    assert data["incident_updates"][0]["translations"] == {"de": {"body": "Begonnen."}}
