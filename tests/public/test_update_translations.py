"""Operator translations on the public pages: a reader on /de/ gets the German name and body
where there is one, the page's default text where there is none, and the page says which text
is a translation, with the original in a <details> block."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import services
from statuspage import public_cache

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture
def incident(page, api, operator):
    incident = services.incident_create(
        name="API errors",
        body="We are investigating raised error rates.",
        actor=operator,
        at=timezone.now() - timedelta(minutes=30),
        component_statuses={api: "partial_outage"},
    )
    services.incident_update_post(
        incident=incident,
        status="identified",
        body="A bad deploy; rolling back.",
        actor=operator,
        component_statuses={},
    )
    first = incident.updates.order_by("id").first()
    services.translations_set(
        obj=incident, translations={"de": {"name": "API-Fehler"}}, actor=operator
    )
    services.translations_set(
        obj=first,
        translations={"de": {"body": "Wir untersuchen erhöhte Fehlerraten."}},
        actor=operator,
    )
    return incident


def _get(client, path):
    response = client.get(path, HTTP_ACCEPT=BROWSER)
    assert response.status_code == 200, path
    return response.content.decode()


def test_a_german_reader_gets_the_german_text_and_is_told_it_is_a_translation(client, incident):
    html = _get(client, f"/de/incidents/{incident.public_id}")
    assert "API-Fehler" in html and re.search(r"<title>[^<]*API-Fehler", html)
    assert "Wir untersuchen erhöhte Fehlerraten." in html
    # Said in German, naming the original's language in German; the original is kept.
    assert "Übersetzung (Original: Englisch)" in html
    assert '<details class="original">' in html
    assert 'lang="en"' in html and "We are investigating raised error rates." in html
    # The untranslated update falls back to the page's language, with no translation note.
    assert "A bad deploy; rolling back." in html
    assert html.count('<details class="original">') == 1


def test_the_translated_name_shows_on_the_front_page_and_history(client, incident):
    assert "API-Fehler" in _get(client, "/de/")
    history = _get(client, "/de/history")
    assert "API-Fehler" in history
    # history shows the newest update, which has no German text: the original stands.
    assert "A bad deploy; rolling back." in history


def test_readers_in_the_page_language_and_without_a_translation_get_the_original(client, incident):
    for path in (f"/incidents/{incident.public_id}", f"/fr/incidents/{incident.public_id}"):
        html = _get(client, path)
        assert "API errors" in html and "API-Fehler" not in html
        assert "We are investigating raised error rates." in html
        assert '<details class="original">' not in html


def test_a_translation_written_later_reaches_the_cached_page(
    client, incident, operator, django_capture_on_commit_callbacks
):
    path = f"/de/incidents/{incident.public_id}"
    assert "Wir haben den Fehler gefunden." not in _get(client, path)
    newest = incident.updates.order_by("-id").first()
    # The commit hooks publish the new generation, as a real commit would.
    with django_capture_on_commit_callbacks(execute=True):
        services.translations_set(
            obj=newest,
            translations={"de": {"body": "Wir haben den Fehler gefunden."}},
            actor=operator,
        )
    public_cache.local.generation.clear()
    assert "Wir haben den Fehler gefunden." in _get(client, path)


def test_a_translated_maintenance_name_and_body(client, api, operator):
    window = services.maintenance_schedule(
        name="Database upgrade",
        body="We upgrade the database.",
        scheduled_for=timezone.now() + timedelta(hours=1),
        scheduled_until=timezone.now() + timedelta(hours=2),
        components=[api],
        actor=operator,
    )
    services.translations_set(
        obj=window, translations={"ja": {"name": "データベースの更新"}}, actor=operator
    )
    services.translations_set(
        obj=window.updates.get(),
        translations={"ja": {"body": "データベースを更新します。"}},
        actor=operator,
    )
    html = _get(client, f"/ja/maintenance/{window.public_id}")
    assert "データベースの更新" in html and "データベースを更新します。" in html
    assert '<details class="original">' in html
