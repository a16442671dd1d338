"""/api/v1 incident_templates: list and create onto the domain's sandboxed templates."""

from __future__ import annotations

import pytest

from incidents.models import IncidentTemplate
from statuspage.access.models import Role

pytestmark = pytest.mark.django_db


def _body(**fields):
    base = {"name": "DB down", "title": "{{ components }} down", "body": "We are on it."}
    return {"template": base | fields}


def test_create_and_list(v1, page_url, api):
    client = v1()
    response = client.post(
        page_url("incident_templates"),
        _body(component_ids=[api.public_id], update_status="identified", should_tweet=False),
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["name"], data["update_status"]) == ("DB down", "identified")
    assert [c["id"] for c in data["components"]] == [api.public_id]
    template = IncidentTemplate.objects.get()
    assert template.status == "identified"
    assert list(template.components.all()) == [api]
    listing = v1(Role.VIEWER).get(page_url("incident_templates")).json()
    assert [t["id"] for t in listing] == [data["id"]]


def test_form_body(v1, page_url):
    response = v1().post(
        page_url("incident_templates"),
        {"template[name]": "F", "template[title]": "T", "template[body]": "B"},
        form=True,
    )
    assert response.status_code == 201, response.content


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": "{{ oops"}, "title"),
        ({"body": "{{ ''.__class__ }}"}, "body"),
        ({"body": "{{ nosuchvariable }}"}, "body"),
        ({"name": ""}, "name"),
        ({"update_status": "resolved"}, "update_status"),
        ({"component_ids": ["nosuchcomp00"]}, "component_ids"),
        ({"group_id": "somegroup"}, "group_id"),
        ({"title": "t" * 201}, "title"),
        ({"body": "{% for i in range(99999999) %}x{% endfor %}"}, "body"),
        ({"body": "{{ 'a'.center(999999999) }}"}, "body"),
        ({"name": "bell\u0007"}, "name"),
    ],
)
def test_bad_templates_are_422(v1, page_url, fields, field):
    response = v1().post(page_url("incident_templates"), _body(**fields))
    assert response.status_code == 422, response.content
    assert field in response.json()["errors"]
    assert not IncidentTemplate.objects.exists()


def test_duplicate_name_is_422_and_responder_cannot_create(v1, page_url):
    client = v1()
    assert client.post(page_url("incident_templates"), _body()).status_code == 201
    response = client.post(page_url("incident_templates"), _body(name="db DOWN"))
    assert response.status_code == 422
    assert "name" in response.json()["errors"]
    assert v1(Role.RESPONDER).post(page_url("incident_templates"), _body()).status_code == 403
