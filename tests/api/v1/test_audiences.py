"""/api/v1/pages/{page_id}/audiences: create, read, edit and remove audiences, wrapped like
Statuspage's resources; bad rules are 422s naming the field, and nothing is written."""

from __future__ import annotations

import pytest

from incidents import services
from incidents.models import Audience, Page

pytestmark = pytest.mark.django_db


def test_crud_round_trip(v1, page_url, api, web):
    client = v1()
    created = client.post(
        page_url("audiences"),
        {
            "audience": {
                "name": "Acme",
                "slug": "acme",
                "component_ids": [api.public_id],
                "emails": ["Ann@Acme.example"],
                "domains": ["acme.example"],
                "claim_name": "groups",
                "claim_value": "acme",
                "members": ["oidc:https://idp.example|1"],
            }
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["emails"] == ["ann@acme.example"]
    assert body["component_ids"] == [api.public_id]
    one = page_url(f"audiences/{body['id']}")
    assert client.get(page_url("audiences")).json() == [body]
    edited = client.patch(one, {"audience": {"component_ids": [web.public_id], "emails": []}})
    assert edited.status_code == 200
    assert edited.json()["component_ids"] == [web.public_id]
    assert edited.json()["domains"] == ["acme.example"]  # left out: kept
    assert client.delete(one).status_code == 204
    assert client.get(one).status_code == 404


@pytest.mark.parametrize(
    ("audience", "field"),
    [
        ({"name": "A", "slug": "a", "domains": ["not a domain"]}, "domains"),
        ({"name": "A", "slug": "a", "emails": "x@y.test"}, "emails"),
        ({"name": "A", "slug": "a b"}, "slug"),
        ({"name": "", "slug": "a"}, "name"),
        ({"name": "A", "slug": "a", "component_ids": ["zzzzzzzzzzzz"]}, "component_ids"),
        ({"name": "A", "slug": "a", "position": "1"}, "position"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(v1, page_url, api, audience, field):
    response = v1().post(page_url("audiences"), {"audience": audience})
    assert response.status_code == 422, response.content
    assert field in response.json()["errors"]
    assert not Audience.objects.exists()


def test_another_page_s_component_is_not_one_to_choose(v1, page_url, api):
    other = Page.objects.create(name="Other", slug="other", time_zone="Etc/UTC")
    theirs = services.component_create(name="Theirs", actor=services.SYSTEM, page=other)
    response = v1().post(
        page_url("audiences"),
        {"audience": {"name": "A", "slug": "a", "component_ids": [theirs.public_id]}},
    )
    assert response.status_code == 422
    assert not Audience.objects.exists()


def test_subscribers_are_placed_and_moved_between_audiences(v1, page_url, api, web, operator):
    client = v1()
    alpha = services.audience_save(
        actor=operator, page=Page.objects.get(), name="Alpha", slug="alpha", components=[api]
    )
    bravo = services.audience_save(
        actor=operator, page=Page.objects.get(), name="Bravo", slug="bravo", components=[web]
    )
    created = client.post(
        page_url("subscribers"),
        {
            "subscriber": {
                "email": "eve@acme.example",
                "component_ids": [api.public_id],
                "audience_id": alpha.public_id,
                "skip_confirmation_notification": True,
            }
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["audience_id"] == alpha.public_id
    one = page_url(f"subscribers/{body['id']}")
    moved = client.patch(one, {"audience_id": bravo.public_id})
    assert moved.status_code == 200, moved.content
    # Bravo does not see `api`: the subscriber now hears all Bravo sees.
    assert moved.json()["audience_id"] == bravo.public_id
    assert moved.json()["components"] == []
    both = client.patch(one, {"audience_id": alpha.public_id, "component_ids": [api.public_id]})
    assert both.status_code == 200
    assert both.json()["audience_id"] == alpha.public_id
    assert [c["id"] for c in both.json()["components"]] == [api.public_id]
    assert client.get(page_url("subscribers")).json()[0]["audience_id"] == alpha.public_id
    out = client.patch(one, {"audience_id": None})
    assert out.status_code == 200 and out.json()["audience_id"] is None


@pytest.mark.parametrize("value", ["zzzzzzzzzzzz", 5, "other"])
def test_an_unknown_or_foreign_audience_is_a_422(v1, page_url, page, operator, value):
    from notifications.models import Subscriber

    other = Page.objects.create(name="Other", slug="other", time_zone="Etc/UTC")
    theirs = services.audience_save(
        actor=operator, page=other, name="Theirs", slug="theirs", components=[]
    )
    sub = Subscriber.objects.create(page=page, channel="email", address="eve@acme.example")
    response = v1().patch(
        page_url(f"subscribers/{sub.public_id}"),
        {"audience_id": theirs.public_id if value == "other" else value},
    )
    assert response.status_code == 422, response.content
    assert "audience_id" in response.json()["errors"]
    sub.refresh_from_db()
    assert sub.audience_id is None
