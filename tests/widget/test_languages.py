"""`?lang=` on the widget and badges: their fixed words in that language and the operator's
translated incident names and updates; a language the page does not offer is a 404; each
language is its own cached document."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from incidents import services
from incidents.enums import ComponentStatus

pytestmark = pytest.mark.django_db
SVG = "{http://www.w3.org/2000/svg}"


def texts(response) -> list[str]:
    root = ET.fromstring(response.content)  # noqa: S314 - our own output
    return [t.text for t in root.iter(f"{SVG}text") if t.get("aria-hidden") is None]


@pytest.fixture
def incident(api, operator, committed):
    with committed():
        incident = services.incident_create(
            name="API errors",
            body="Requests fail.",
            component_statuses={api: ComponentStatus.MAJOR_OUTAGE},
            actor=operator,
        )
        services.translations_set(
            obj=incident, translations={"de": {"name": "API-Fehler"}}, actor=operator
        )
        services.translations_set(
            obj=incident.updates.get(),
            translations={"de": {"body": "Anfragen schlagen fehl."}},
            actor=operator,
        )
    return incident


def test_the_badge_speaks_the_asked_language(client, api):
    assert texts(client.get("/badge.svg")) == ["status", "All Systems Operational"]
    assert texts(client.get("/badge.svg", {"lang": "de"})) == [
        "Status",
        "Alle Systeme betriebsbereit",
    ]
    assert texts(client.get("/badge.svg", {"lang": "ja"}))[0] == "ステータス"


def test_a_component_badge_translates_its_status_not_its_name(client, api):
    response = client.get(f"/badge/{api.public_id}.svg", {"lang": "fr"})
    assert response.status_code == 200, response.content
    assert texts(response) == ["API", "Opérationnel"]


@pytest.mark.parametrize(
    "path", ["/badge.svg", "/embed/frame", "/embed/status", "/embed/state.json"]
)
def test_an_unknown_or_unoffered_language_is_a_404(client, api, settings, path):
    assert client.get(path, {"lang": "xx"}).status_code == 404
    settings.PUBLIC_LANGUAGES = ("en", "de")
    assert client.get(path, {"lang": "fr"}).status_code == 404


def test_the_frame_shows_the_german_name_and_update(client, incident):
    html = client.get("/embed/frame", {"lang": "de"}).content.decode()
    assert '<html lang="de" dir="ltr">' in html
    assert "API-Fehler" in html and "Anfragen schlagen fehl." in html
    assert "Details auf der Statusseite ansehen" in html and "Wird untersucht" in html
    assert f"/de/incidents/{incident.public_id}" in html
    english = client.get("/embed/frame").content.decode()
    assert "API errors" in english and "Requests fail." in english
    assert "View details on the status page" in english
    # A language without a translation: its words, the original text.
    arabic = client.get("/embed/frame", {"lang": "ar"}).content.decode()
    assert 'dir="rtl"' in arabic and "API errors" in arabic


def test_the_state_json_carries_the_translated_notice(client, incident):
    [notice] = client.get("/embed/state.json", {"lang": "de"}).json()["notices"]
    assert notice["name"] == "API-Fehler"
    assert notice["latest_update"] == "Anfragen schlagen fehl."
    assert notice["status_label"] == "Wird untersucht"
    [english] = client.get("/embed/state.json").json()["notices"]
    assert english["name"] == "API errors"
