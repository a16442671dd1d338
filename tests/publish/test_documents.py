"""Every incident's JSON is rendered in bulk by the publisher (statuspage/publish/documents.py),
not requested one by one: each one must still be the origin's answer, byte for byte and header
for header, and cost no queries of its own."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents import services
from incidents.models import Incident, Maintenance, Page
from statuspage.publish.documents import INCIDENT_JSON, incident_json, incident_json_headers
from statuspage.publish.handler import Renderer
from statuspage.publish.render import render_site
from tests.public.conftest import reset_read_path


def _more(site, operator, count: int) -> None:
    """`count` more incidents, each with a second update and a component (names with words
    outside ASCII, which the JSON keeps as they are)."""
    for n in range(count):
        incident = services.incident_create(
            name=f"Störung {n} — „Zahlung“ 支払い",
            body="Wir prüfen es.",
            actor=operator,
            component_statuses={site["web"]: "degraded_performance"},
        )
        services.incident_resolve(incident=incident, body="Behoben ✓", actor=operator)


def _all_ids() -> list[str]:
    return [
        *Incident.objects.values_list("public_id", flat=True),
        *Maintenance.objects.values_list("public_id", flat=True),
    ]


def test_each_incident_json_is_the_origins_answer(site, operator, client):
    _more(site, operator, 2)
    ids = _all_ids()
    unknown = "zzzzzzzzzzzz"

    bodies = incident_json([*ids, unknown])

    assert sorted(bodies) == sorted(ids)
    content_type, cache_control = incident_json_headers()
    for public_id in ids:
        answer = client.get(f"/api/v2/incidents/{public_id}.json")
        assert answer.status_code == 200
        assert bodies[public_id] == answer.content, public_id
        assert answer["Content-Type"] == content_type
        assert answer["Cache-Control"] == cache_control
    # The maintenance window's document is the maintenance object, as the view answers it.
    assert b'"scheduled_for":' in bodies[site["maintenance"].public_id]
    assert client.get(f"/api/v2/incidents/{unknown}.json").status_code == 404


def test_the_bulk_render_costs_the_same_queries_for_any_number_of_incidents(site, operator):
    few = _all_ids()
    reset_read_path()  # the generation and zone are looked up again by each
    with CaptureQueriesContext(connection) as small:
        incident_json(few)
    _more(site, operator, 6)
    many = _all_ids()
    reset_read_path()
    with CaptureQueriesContext(connection) as large:
        incident_json(many)

    assert len(many) == len(few) + 6
    assert len(large.captured_queries) == len(small.captured_queries)


def test_a_publish_renders_them_in_bulk_with_the_origins_bytes(site, operator, monkeypatch):
    _more(site, operator, 2)
    asked: list[str] = []
    get = Renderer.get

    def recording(self, path, query=""):
        asked.append(path)
        return get(self, path, query)

    monkeypatch.setattr(Renderer, "get", recording)
    page = Page.objects.get()

    rendered = render_site(public_url=page.url).rendered

    assert not [path for path in asked if INCIDENT_JSON.fullmatch(path)]
    origin = Renderer(host=page.url.split("://")[1], secure=page.url.startswith("https"))
    for public_id in _all_ids():
        document = rendered[f"api/v2/incidents/{public_id}.json"]
        answer = get(origin, f"/api/v2/incidents/{public_id}.json")
        assert document.body == answer.body
        assert document.content_type == answer["Content-Type"]
        assert document.cache_control == answer["Cache-Control"]
