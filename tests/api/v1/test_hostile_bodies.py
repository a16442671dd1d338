"""Bodies no client should send get a clear JSON 4xx and leave nothing written: a lone
surrogate, too many form fields, too many bytes, control characters in any text field."""

from __future__ import annotations

import json

import pytest

from incidents.models import AuditEntry, Component, Incident, IncidentTemplate


def _nothing_written():
    return (Incident.objects.count(), AuditEntry.objects.count(), IncidentTemplate.objects.count())


def _raw_post(client, url, body: bytes, content_type: str):
    return client.client.post(url, body, content_type=content_type, **client._headers({}))


@pytest.mark.parametrize("text", ['"\\ud800"', '"a\\udfffb"', '"\\udc00\\ud800"'])
def test_a_lone_surrogate_is_a_400(v1, page_url, api, text):
    client = v1()
    before = _nothing_written()
    body = b'{"incident": {"name": ' + text.encode() + b', "body": "x"}}'
    response = _raw_post(client, page_url("incidents"), body, "application/json")
    assert response.status_code == 400
    assert "surrogate" in response.json()["error"]
    assert _nothing_written() == before


def test_a_lone_surrogate_in_a_key_or_a_lookup_is_a_400(v1, api):
    response = _raw_post(
        v1(), "/api/v1/integrations/component-status",
        b'{"component": "\\ud800", "status": "major_outage"}', "application/json",
    )  # fmt: skip
    assert response.status_code == 400


def test_too_many_form_fields_is_a_400(v1, page_url):
    client = v1()
    before = _nothing_written()
    body = "&".join(f"incident[metadata][k{n}]=v" for n in range(1001)) + "&incident[name]=x"
    response = _raw_post(
        client, page_url("incidents"), body.encode(), "application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert "too many fields" in response.json()["error"]
    assert _nothing_written() == before


def test_a_body_over_the_limit_is_a_413(v1, page_url, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client = v1()
    body = json.dumps({"incident": {"name": "x", "body": "b" * 2000}}).encode()
    response = _raw_post(client, page_url("incidents"), body, "application/json")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"


CONTROL = [chr(c) for c in range(0x20) if c not in (0x09, 0x0A, 0x0D)] + ["\x7f"]


@pytest.mark.parametrize("char", CONTROL, ids=[f"U+{ord(c):04X}" for c in CONTROL])
def test_control_characters_in_text_are_a_422_naming_the_field(v1, page_url, api, char):
    client = v1()
    before = _nothing_written()
    response = client.post(
        page_url("incidents"), {"incident": {"name": "Down", "body": f"bell{char}here"}}
    )
    assert response.status_code == 422, response.content
    assert "control character" in json.dumps(response.json()["errors"]["body"])
    assert _nothing_written() == before


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("components", {"component": {"name": "A\x07PI"}}, "name"),
        ("component-groups", {"component_group": {"name": "G\x1b"}}, "name"),
        ("incident_templates", {"template": {"name": "t\x01", "title": "x", "body": "y"}}, "name"),
        ("subscribers", {"subscriber": {"email": "a\x07@example.test"}}, "email"),
    ],
)
def test_every_resource_refuses_control_characters(v1, page_url, path, body, field):
    response = v1().post(page_url(path), body)
    assert response.status_code in (400, 422), response.content
    assert field in response.json()["errors"]
    assert not Component.objects.filter(name__contains="\x07").exists()


def test_tab_and_newlines_are_kept(v1, page_url, api):
    response = v1().post(
        page_url("incidents"), {"incident": {"name": "Down", "body": "a\tb\r\nc\nd"}}
    )
    assert response.status_code == 201
    assert Incident.objects.get().updates.get().body == "a\tb\r\nc\nd"
