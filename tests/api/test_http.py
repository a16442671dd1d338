"""HTTP behaviour clients rely on: HEAD, CORS, ETag/304, no cookies, paging errors, fixed
query counts, timestamps in the page's offset, stale snapshots when the database is down."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime

import pytest
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext

from incidents import selectors, services
from incidents.enums import ComponentStatus
from incidents.models import Page
from incidents.wire import timestamp
from statuspage import public_cache

pytestmark = pytest.mark.django_db

ENDPOINTS = [
    "summary.json",
    "status.json",
    "components.json",
    "incidents.json",
    "incidents/unresolved.json",
    "scheduled-maintenances.json",
    "scheduled-maintenances/upcoming.json",
    "scheduled-maintenances/active.json",
]


def fresh_generation():
    """Forget the briefly memoised generation, as if half a second had passed."""
    public_cache.local.generation.clear()


@pytest.mark.parametrize("path", ENDPOINTS)
def test_head_answers_200_with_headers_and_no_body(client, api, path):
    response = client.head(f"/api/v2/{path}")
    assert response.status_code == 200
    assert response.content == b""
    assert response["Content-Type"] == "application/json"
    assert response["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("path", ENDPOINTS)
def test_cors_open_cacheable_and_not_frameable(client, api, path):
    response = client.get(f"/api/v2/{path}")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "public" in response["Cache-Control"]
    assert response["X-Frame-Options"] == "DENY"


def test_etag_answers_304_without_body(client, api):
    first = client.get("/api/v2/summary.json")
    again = client.get("/api/v2/summary.json", headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304
    assert again.content == b""


def test_no_cookie_even_for_a_logged_in_visitor(client, api, django_user_model):
    user = django_user_model.objects.create_user("op", password="x-very-long-password")
    client.force_login(user)
    client.session["touched"] = True
    response = client.get("/api/v2/summary.json")
    assert "Set-Cookie" not in response.headers
    assert "cookie" not in response.get("Vary", "").lower()


def test_unknown_parameters_are_ignored(client, api):
    plain = client.get("/api/v2/components.json")
    noisy = client.get("/api/v2/components.json", {"utm_source": "x", "callback": "y"})
    assert noisy.status_code == 200
    assert noisy.content == plain.content


@pytest.mark.parametrize("value", ["abc", "0", "-1", "1.5", "9999999", "²"])
def test_bad_page_number_is_a_400_in_json(client, api, value):
    response = client.get("/api/v2/incidents.json", {"page": value})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "page" in response.json()["error"]


def test_page_past_the_end_is_an_empty_list(client, api):
    response = client.get("/api/v2/incidents.json", {"page": "2"})
    assert response.json()["incidents"] == []


def test_components_json_lists_every_component_whatever_the_page(client, make_component):
    made = {make_component(f"C{n:03}").public_id for n in range(60)}
    first = client.get("/api/v2/components.json").json()["components"]
    assert {row["id"] for row in first} == made
    again = client.get("/api/v2/components.json", {"page": "2"})
    assert again.json()["components"] == first
    summary = client.get("/api/v2/summary.json").json()["components"]
    assert first == summary


def test_post_is_refused(client, api):
    assert client.post("/api/v2/summary.json").status_code == 405


def test_a_write_is_visible_on_the_next_read(
    client, api, operator, django_capture_on_commit_callbacks
):
    before = client.get("/api/v2/status.json").json()["status"]["indicator"]
    # The generation is published to the cache on commit.
    with django_capture_on_commit_callbacks(execute=True):
        services.incident_create(
            name="Down",
            body="Down.",
            actor=operator,
            component_statuses={api: ComponentStatus.MAJOR_OUTAGE},
        )
    fresh_generation()
    after = client.get("/api/v2/status.json").json()["status"]
    assert (before, after["indicator"]) == ("none", "critical")


def test_database_down_serves_the_last_good_document_marked_stale(client, api, monkeypatch):
    good = client.get("/api/v2/summary.json")
    public_cache.local.clear()

    def unreachable(page=None):
        raise DatabaseError("connection refused")

    monkeypatch.setattr(selectors, "page_generation", unreachable)
    stale = client.get("/api/v2/summary.json")
    assert stale.status_code == 200
    assert stale["X-Statuspage-Stale"] == "1"
    assert stale["Access-Control-Allow-Origin"] == "*"
    assert stale.json() == good.json()


def _queries(client, path: str) -> int:
    public_cache.local.clear()
    from django.core.cache import cache

    cache.clear()
    with CaptureQueriesContext(connection) as captured:
        assert client.get(f"/api/v2/{path}").status_code == 200
    return len(captured)


@pytest.mark.parametrize("path", ENDPOINTS)
def test_query_count_does_not_grow_with_data(client, make_component, operator, path):
    group = services.component_group_create(name="G", actor=operator)
    first = make_component("A", group=group)
    services.incident_create(
        name="I", body="b", actor=operator, component_statuses={first: "partial_outage"}
    )
    small = _queries(client, path)
    for n in range(5):
        extra = make_component(f"C{n}", group=group if n % 2 else None)
        services.incident_create(
            name=f"I{n}", body="b", actor=operator, component_statuses={extra: "major_outage"}
        )
    assert _queries(client, path) == small


def test_cached_document_costs_no_query(client, api):
    client.get("/api/v2/summary.json")
    with CaptureQueriesContext(connection) as captured:
        client.get("/api/v2/summary.json")
    assert len(captured) == 0


@pytest.mark.parametrize(
    ("tz", "expected"),
    [
        ("Etc/UTC", "2026-01-05T10:02:11.123Z"),
        ("America/Los_Angeles", "2026-01-05T02:02:11.123-08:00"),
        ("Asia/Kolkata", "2026-01-05T15:32:11.123+05:30"),
    ],
)
def test_timestamp_has_milliseconds_and_page_offset(tz, expected):
    value = datetime(2026, 1, 5, 10, 2, 11, 123987, tzinfo=UTC)
    assert timestamp(value, zoneinfo.ZoneInfo(tz)) == expected


def test_timestamp_of_a_whole_second_still_has_milliseconds():
    value = datetime(2026, 7, 1, 0, 0, 0, tzinfo=UTC)
    assert timestamp(value, zoneinfo.ZoneInfo("America/Los_Angeles")) == (
        "2026-06-30T17:00:00.000-07:00"
    )


def test_documents_use_a_non_utc_page_offset(client, make_component):
    Page.objects.update(time_zone="America/Los_Angeles")
    make_component("API", created_at=datetime(2026, 1, 1, tzinfo=UTC))
    document = client.get("/api/v2/components.json").json()
    assert document["page"]["time_zone"] == "America/Los_Angeles"
    assert document["components"][0]["created_at"] == "2025-12-31T16:00:00.000-08:00"


def test_cors_preflight_is_answered_without_credentials(client, api):
    response = client.options(
        "/api/v2/summary.json",
        headers={
            "Origin": "https://dashboard.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "x-requested-with",
        },
    )
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Access-Control-Allow-Headers"] == "x-requested-with"
    assert "Access-Control-Allow-Credentials" not in response.headers
    assert "Set-Cookie" not in response.headers


def test_preflight_does_not_echo_junk_headers(client, api):
    response = client.options(
        "/api/v2/status.json", headers={"Access-Control-Request-Headers": "a\r\nb: c"}
    )
    assert response.status_code == 204
    assert "Access-Control-Allow-Headers" not in response.headers
