"""/history narrowed to one component and/or a text: what matches, what bad input gets (a
message, never a 500), and what the read path keeps of it (text searches: nothing)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidents import services
from statuspage import public_cache
from statuspage.public.presenters import SEARCH_MAX_CHARS
from tests.public.conftest import reset_read_path

pytestmark = pytest.mark.frozen_at("2026-11-18T12:00:00+00:00")


def _titles(html: str) -> list[str]:
    return re.findall(r"<h4><a href=\"/(?:incidents|maintenance)/\w+\">([^<]+)</a></h4>", html)


@pytest.fixture
def started_window(site, operator):
    """`site`'s maintenance on Database, started today: history now."""
    services.maintenance_start(maintenance=site["maintenance"], actor=operator)
    return site["maintenance"]


def test_unfiltered_history_lists_everything(client, site, started_window):
    html = client.get("/history").content.decode()
    assert sorted(_titles(html)) == ["API errors", "Maintenance: Database upgrade", "Slow website"]
    assert "filter-summary" not in html


def test_filter_by_component(client, site, started_window):
    api, db = site["api"].public_id, site["db"].public_id
    html = client.get(f"/history?component={api}").content.decode()
    assert _titles(html) == ["API errors"]
    assert "affecting API" in html
    assert f'<option value="{api}" selected>API</option>' in html
    # Grouped as on the page, the loose component too.
    assert '<optgroup label="Core">' in html
    assert f'<option value="{site["web"].public_id}">Website</option>' in html
    html = client.get(f"/history?component={db}").content.decode()
    assert _titles(html) == ["Maintenance: Database upgrade"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("api ERRORS", ["API errors"]),  # the title, any case
        ("cause identified", ["API errors"]),  # an update
        ("cache expired", ["Slow website"]),  # the published postmortem
        ("major version", ["Maintenance: Database upgrade"]),  # a maintenance update
        ("  cause \t  identified ", ["API errors"]),  # spaces collapse
        ("nothing like this", []),
    ],
)
def test_text_search(client, site, started_window, text, expected):
    response = client.get("/history", {"q": text})
    assert response.status_code == 200
    html = response.content.decode()
    assert _titles(html) == expected
    if not expected:
        assert html.count("Nothing matches in this month.") == 3


def test_draft_postmortem_text_is_not_searchable(client, page, operator):
    incident = services.incident_create(name="Blip", body="x", actor=operator)
    services.incident_resolve(incident=incident, body="ok", actor=operator)
    services.postmortem_save_draft(incident=incident, body="secret draft words", actor=operator)
    assert _titles(client.get("/history?q=secret+draft").content.decode()) == []


def test_component_and_text_together(client, site, started_window):
    web = site["web"].public_id
    assert _titles(client.get(f"/history?component={web}&q=cache").content.decode()) == [
        "Slow website"
    ]
    assert _titles(client.get(f"/history?component={web}&q=cause").content.decode()) == []


@pytest.mark.parametrize("bad", ["nope", "aaaaaaaaaaaa", "x" * 5000, "<script>", "%00", "API"])
def test_unknown_component_says_so_and_shows_everything(client, site, bad):
    response = client.get("/history", {"component": bad})
    assert response.status_code == 200
    html = response.content.decode()
    assert "showing every component." in html and 'role="alert"' in html
    assert "<script>" not in html
    assert sorted(_titles(html)) == ["API errors", "Slow website"]


def test_text_too_long_says_so_and_shows_everything(client, site):
    response = client.get("/history", {"q": "x" * (SEARCH_MAX_CHARS + 1)})
    assert response.status_code == 200
    html = response.content.decode()
    assert f"at most {SEARCH_MAX_CHARS} characters" in html
    assert sorted(_titles(html)) == ["API errors", "Slow website"]
    # At the limit, it is searched.
    html = client.get("/history", {"q": "x" * SEARCH_MAX_CHARS}).content.decode()
    assert _titles(html) == [] and "characters" not in html.split("<main", 1)[1].split("<form")[0]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=%00", ["API errors", "Slow website"]),  # nothing left to search for
        ("q=cause%00identified", ["API errors"]),  # a control character parts words
        ("q=%1B%5B31m", []),
        ("q=%ED%A0%80", []),  # not UTF-8
        ("q=%FF", []),
        ("q=%25", []),  # LIKE wildcards are plain text
        ("q=_", []),
    ],
)
def test_control_and_odd_characters_never_fail(client, site, query, expected):
    """NUL cannot even be sent to PostgreSQL; broken UTF-8 and LIKE wildcards are just text."""
    response = client.get(f"/history?{query}")
    assert response.status_code == 200
    assert sorted(_titles(response.content.decode())) == expected


def test_pager_keeps_the_filters(client, site, operator, make_component):
    api = make_component("Billing API")
    start = timezone.now() - timedelta(days=125)
    old = services.incident_create(
        name="Old API outage", body="Broke.", actor=operator,
        component_statuses={api: "major_outage"}, at=start, backfilled=True,
    )  # fmt: skip
    services.incident_resolve(incident=old, body="Fixed.", actor=operator, at=start)
    html = client.get(f"/history?component={api.public_id}&q=api").content.decode()
    assert f'href="?page=2&amp;component={api.public_id}&amp;q=api" rel="next"' in html
    second = client.get(f"/history?page=2&component={api.public_id}&q=api").content.decode()
    assert _titles(second) == ["Old API outage"]
    # Nothing older matches "website": no next page, and page 2 is not there.
    assert 'rel="next"' not in client.get("/history?q=website").content.decode()
    assert client.get("/history?page=2&q=website").status_code == 404


def test_text_searches_are_never_stored(client, site, settings):
    """Each spelling of a search would be a new cached document and snapshot file: a stream
    of random searches must leave the cache, the disk and the fast path's tables as they were."""
    client.get("/history")
    documents, routes = len(public_cache.local.items), dict(public_cache.final_headers)
    snapshots = set(settings.PUBLIC_SNAPSHOT_DIR.iterdir())
    for n in range(5):
        assert client.get("/history", {"q": f"search {n}"}).status_code == 200
        assert client.get("/history", {"component": f"bogus{n}"}).status_code == 200
    assert len(public_cache.local.items) == documents
    assert set(settings.PUBLIC_SNAPSHOT_DIR.iterdir()) == snapshots
    assert public_cache.final_headers == routes


def test_a_search_still_answers_a_conditional_get_with_304(client, site):
    first = client.get("/history", {"q": "errors"})
    again = client.get("/history", {"q": "errors"}, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b""


def test_a_component_filter_is_cached_like_any_page(client, site, django_assert_num_queries):
    url = f"/history?component={site['api'].public_id}"
    client.get(url)
    with django_assert_num_queries(0):
        assert client.get(url).status_code == 200


def test_a_search_costs_a_fixed_number_of_queries(client, site, operator, make_component):
    def count() -> int:
        reset_read_path()  # both cold, with the generation and the zone to look up
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/history", {"q": "errors"}).status_code == 200
        return len(ctx.captured_queries)

    small = count()
    for n in range(20):
        services.incident_create(
            name=f"More errors {n}", body="errors", actor=operator,
            component_statuses={make_component(f"C{n}"): "major_outage"},
        )  # fmt: skip
    assert count() == small
