"""The script embed's state and frame, the status iframe, and who may frame what."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents import services

pytestmark = pytest.mark.django_db


def assert_frameable_by_anyone(response):
    assert "X-Frame-Options" not in response.headers
    assert response["Content-Security-Policy"] == "frame-ancestors *"
    assert "Set-Cookie" not in response.headers


def test_status_frame_shows_dot_and_description_and_links_to_the_page(client, page, api):
    response = client.get("/embed/status")
    assert response.status_code == 200
    assert_frameable_by_anyone(response)
    html = response.content.decode()
    assert 'data-indicator="none"' in html
    assert "All Systems Operational" in html
    assert f'href="{page.url}"' in html


@pytest.mark.parametrize("theme", ["auto", "light", "dark", "transparent"])
def test_status_frame_takes_a_theme_each_cached_as_its_own_document(client, page, api, theme):
    response = client.get("/embed/status", {"theme": theme})
    assert response.status_code == 200
    assert_frameable_by_anyone(response)
    html = response.content.decode()
    assert f'<html lang="en" dir="ltr" data-theme="{theme}" data-refresh="60">' in html
    assert '<link rel="stylesheet" href="/static/public/status.css">' in html
    assert ("embed transparent" in html) == (theme == "transparent")
    # The theme is part of the cache key: another theme is not served this document.
    other = "dark" if theme != "dark" else "light"
    assert f'data-theme="{other}"' in client.get("/embed/status", {"theme": other}).content.decode()


def test_status_frame_refreshes_by_script_not_meta_refresh(client, page, api):
    html = client.get("/embed/status").content.decode()
    assert 'data-refresh="60"' in html
    assert '<script src="/static/public/site.js" defer></script>' in html
    assert 'http-equiv="refresh"' not in html


def test_status_frame_without_theme_follows_the_reader(client, page, api):
    assert 'data-theme="auto"' in client.get("/embed/status").content.decode()


@pytest.mark.parametrize("theme", ["purple", "DARK", "dark "])
def test_unknown_status_frame_theme_is_a_404_and_never_cached(client, page, api, theme):
    from statuspage import public_cache

    response = client.get("/embed/status", {"theme": theme})
    assert response.status_code == 404
    assert "Set-Cookie" not in response.headers
    assert not any(theme in key for key in public_cache.local.items)


def test_status_frame_follows_the_page_status(client, api, operator):
    services.incident_create(
        name="Down", body="Down.", actor=operator, component_statuses={api: "major_outage"}
    )
    html = client.get("/embed/status").content.decode()
    assert 'data-indicator="critical"' in html and "Major System Outage" in html


def test_state_is_empty_without_incident_or_maintenance(client, api):
    response = client.get("/embed/state.json")
    assert response["Access-Control-Allow-Origin"] == "*"
    body = response.json()
    assert body["notices"] == []
    assert body["status"] == {"indicator": "none", "description": "All Systems Operational"}


def test_state_lists_open_incident_with_latest_update_then_running_maintenance(
    client, page, api, web, operator
):
    incident = services.incident_create(
        name="API errors", body="Looking.", actor=operator, component_statuses={api: "major_outage"}
    )
    services.incident_update_post(
        incident=incident, status="identified", body="Found it.", actor=operator
    )
    now = timezone.now()
    maintenance = services.maintenance_schedule(
        name="Web deploy",
        scheduled_for=now - timedelta(minutes=1),
        scheduled_until=now + timedelta(hours=1),
        components=[web],
        actor=operator,
    )
    services.maintenance_start(maintenance=maintenance, actor=operator)
    notices = client.get("/embed/state.json").json()["notices"]
    assert [(n["id"], n["kind"]) for n in notices] == [
        (incident.public_id, "incident"),
        (maintenance.public_id, "maintenance"),
    ]
    assert notices[0]["latest_update"] == "Found it."
    assert notices[0]["status_label"] == "Identified"
    assert notices[0]["url"] == f"{page.url.rstrip('/')}/incidents/{incident.public_id}"


def test_frame_renders_the_notice_escaped_with_dismiss_and_link(client, api, operator):
    incident = services.incident_create(
        name="<img src=x onerror=alert(1)>", body="x" * 1000, actor=operator
    )
    response = client.get("/embed/frame", {"id": incident.public_id})
    assert response.status_code == 200
    assert_frameable_by_anyone(response)
    html = response.content.decode()
    assert "<img src=x" not in html and "&lt;img src=x" in html
    assert 'aria-label="Dismiss this notice"' in html
    assert f"/incidents/{incident.public_id}" in html
    assert "x" * 300 not in html  # the update is previewed, not pasted whole


def test_frame_for_an_id_that_is_not_active_is_a_404(client, api, operator):
    incident = services.incident_create(name="Blip", body="Blip.", actor=operator)
    services.incident_resolve(incident=incident, body="Gone.", actor=operator)
    response = client.get("/embed/frame", {"id": incident.public_id})
    assert response.status_code == 404
    assert "X-Frame-Options" not in response.headers
    assert client.get("/embed/frame", {"id": "not-an-id"}).status_code == 404


def test_script_is_javascript_with_its_defaults_and_no_cookie(client, settings):
    response = client.get("/embed/script.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert "Set-Cookie" not in response.headers
    body = response.content.decode()
    assert '"corner": "bottom-right"' in body and '"poll": 60' in body
    assert "document.cookie" not in body


@pytest.mark.parametrize(
    "path", ["/", "/api/v2/summary.json", "/embed/script.js", "/embed/state.json", "/badge.svg"]
)
def test_everything_else_denies_framing(client, api, path):
    assert client.get(path)["X-Frame-Options"] == "DENY"


def test_malformed_frame_id_is_refused_before_any_query(client, api):
    client.get("/embed/state.json")  # warm the memoised generation
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get("/embed/frame", {"id": "<script>"})
    assert response.status_code == 404
    assert len(captured) == 0
    assert b"<script>" not in response.content


def test_state_preflight_is_answered(client):
    response = client.options("/embed/state.json")
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("path", ["/embed/state.json", "/embed/status", "/badge.svg"])
def test_widget_documents_cost_a_fixed_number_of_queries(client, make_component, operator, path):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from statuspage import public_cache

    def count() -> int:
        public_cache.local.clear()
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200
        return len(captured)

    first = make_component("A")
    services.incident_create(
        name="I", body="b", actor=operator, component_statuses={first: "major_outage"}
    )
    small = count()
    for n in range(4):
        extra = make_component(f"C{n}")
        services.incident_create(
            name=f"I{n}", body="b", actor=operator, component_statuses={extra: "partial_outage"}
        )
    assert count() == small


def test_editing_the_latest_update_changes_the_notice_version(client, api, operator, committed):
    incident = services.incident_create(name="I", body="Typo.", actor=operator)
    before = client.get("/embed/state.json").json()["notices"][0]
    with committed():
        services.incident_update_edit(
            update=incident.updates.get(), body="Fixed typo.", actor=operator
        )
    after = client.get("/embed/state.json").json()["notices"][0]
    assert after["latest_update"] == "Fixed typo."
    assert after["updated_at"] != before["updated_at"]


@pytest.mark.parametrize("path", ["/embed/state.json", "/embed/status", "/badge.svg"])
def test_embeds_keep_answering_from_the_snapshot_when_the_database_is_down(
    client, api, monkeypatch, path
):
    from django.db import DatabaseError

    from incidents import selectors
    from statuspage import public_cache

    good = client.get(path)
    public_cache.local.clear()

    def unreachable(page=None):
        raise DatabaseError("connection refused")

    monkeypatch.setattr(selectors, "page_generation", unreachable)
    stale = client.get(path)
    assert stale.status_code == 200
    assert stale["X-Statuspage-Stale"] == "1"
    assert stale["Content-Type"] == good["Content-Type"]
    if path == "/embed/status":
        assert "X-Frame-Options" not in stale.headers  # still embeddable while stale
