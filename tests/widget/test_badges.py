"""SVG badges and the shields.io endpoint JSON."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from incidents import services
from statuspage.widget import badges

pytestmark = pytest.mark.django_db
SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: bytes | str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output, parsed to check it is well-formed


def texts(response) -> list[str]:
    root = parse(response.content)
    return [t.text for t in root.iter(f"{SVG}text") if t.get("aria-hidden") is None]


def test_overall_badge_is_a_flat_svg_saying_all_is_well(client, api):
    response = client.get("/badge.svg")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/svg+xml")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert texts(response) == ["status", "All Systems Operational"]
    assert 'fill="#4c1"' in response.content.decode()
    assert parse(response.content).get("height") == "20"


def test_overall_badge_turns_red_in_a_major_outage(client, api, operator):
    services.incident_create(
        name="Down", body="Down.", actor=operator, component_statuses={api: "major_outage"}
    )
    response = client.get("/badge.svg")
    assert texts(response) == ["status", "Major System Outage"]
    assert 'fill="#e05d44"' in response.content.decode()


def test_component_badge_names_the_component_and_its_status(client, api, web, operator):
    services.incident_create(
        name="Slow", body="Slow.", actor=operator, component_statuses={web: "partial_outage"}
    )
    assert texts(client.get(f"/badge/{api.public_id}.svg")) == ["API", "Operational"]
    response = client.get(f"/badge/{web.public_id}.svg")
    assert texts(response) == ["Web", "Partial outage"]
    assert 'fill="#fe7d37"' in response.content.decode()


def test_group_badge_shows_the_worst_child(client, make_component, operator):
    group = services.component_group_create(name="Regions", actor=operator)
    eu = make_component("EU", group=group)
    services.incident_create(
        name="Slow", body="Slow.", actor=operator, component_statuses={eu: "degraded_performance"}
    )
    assert texts(client.get(f"/badge/{group.public_id}.svg")) == [
        "Regions",
        "Degraded performance",
    ]


def test_unknown_component_badge_is_a_grey_404_image(client, api):
    response = client.get("/badge/zzzzzzzzzzzz.svg")
    assert response.status_code == 404
    assert texts(response) == ["status", "unknown component"]
    assert "Set-Cookie" not in response.headers


def test_badge_text_is_escaped(client, make_component):
    component = make_component('<script>&"x')
    response = client.get(f"/badge/{component.public_id}.svg")
    assert b"<script>" not in response.content
    assert texts(response)[0] == '<script>&"x'


def test_badge_width_grows_with_the_message():
    short = parse(badges.flat_badge("status", "ok", "brightgreen"))
    long = parse(badges.flat_badge("status", "All Systems Operational", "brightgreen"))
    assert int(long.get("width")) > int(short.get("width")) + 100


def test_shields_endpoint_json(client, api, operator, committed):
    assert client.get("/badge.json").json() == {
        "schemaVersion": 1,
        "label": "status",
        "message": "All Systems Operational",
        "color": "brightgreen",
    }
    with committed():
        services.incident_create(
            name="Slow",
            body="Slow.",
            actor=operator,
            component_statuses={api: "degraded_performance"},
        )
    response = client.get("/badge.json")
    assert response.json()["color"] == "yellow"
    assert response.json()["message"] == "Partially Degraded Service"
    assert response["Access-Control-Allow-Origin"] == "*"
