"""Audiences in the dashboard: admins create, edit and remove them; viewers read the list."""

from __future__ import annotations

import pytest

from incidents.models import Audience, AuditEntry
from notifications.models import Subscriber

pytestmark = pytest.mark.django_db


def _data(api, **extra):
    data = {
        "name": "Acme Corp",
        "slug": "acme",
        "position": "0",
        "components": [api.pk],
        "emails": "Ann@Acme.example\nbob@partner.example",
        "domains": "@acme.example, acme.test",
        "claim_name": "groups",
        "claim_value": "acme",
        "members": "oidc:https://idp.example|42",
    }
    data.update(extra)
    return data


def test_admin_creates_edits_and_deletes_an_audience(admin_client, viewer_client, api, web):
    response = admin_client.post("/dashboard/audiences/new/", _data(api))
    assert response.status_code == 302
    audience = Audience.objects.get()
    assert audience.emails == ["ann@acme.example", "bob@partner.example"]
    assert audience.domains == ["acme.example", "acme.test"]
    assert audience.members == ["oidc:https://idp.example|42"]
    assert list(audience.components.all()) == [api]
    listing = viewer_client.get("/dashboard/audiences/").content.decode()
    assert "Acme Corp" in listing and "@acme.example, @acme.test" in listing
    assert "groups = acme" in listing

    form = admin_client.get(f"/dashboard/audiences/{audience.pk}/edit/").content.decode()
    assert "ann@acme.example\nbob@partner.example" in form
    response = admin_client.post(
        f"/dashboard/audiences/{audience.pk}/edit/", _data(web, name="Acme", emails="")
    )
    assert response.status_code == 302
    audience.refresh_from_db()
    assert audience.name == "Acme" and audience.emails == []
    assert list(audience.components.all()) == [web]

    response = admin_client.post(f"/dashboard/audiences/{audience.pk}/delete/")
    assert response.status_code == 302
    assert not Audience.objects.exists()
    actions = list(AuditEntry.objects.order_by("id").values_list("action", flat=True))
    assert actions[-3:] == ["audience.create", "audience.update", "audience.delete"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"domains": "not a domain"}, "is not a domain"),
        ({"emails": "nobody"}, "is not an email address"),
        ({"claim_value": ""}, "Give both the claim and its value"),
        ({"slug": "a b"}, "slug"),
    ],
)
def test_bad_rules_are_refused_with_a_message(admin_client, api, extra, message):
    response = admin_client.post("/dashboard/audiences/new/", _data(api, **extra))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Audience.objects.exists()


def test_a_second_audience_with_the_same_slug_is_refused(admin_client, api):
    assert admin_client.post("/dashboard/audiences/new/", _data(api)).status_code == 302
    response = admin_client.post("/dashboard/audiences/new/", _data(api, name="Other"))
    assert response.status_code == 400
    assert "Another audience of this page has that slug." in response.content.decode()


def test_admin_adds_a_subscriber_to_an_audience(admin_client, api, web):
    admin_client.post("/dashboard/audiences/new/", _data(api))
    audience = Audience.objects.get()
    response = admin_client.post(
        "/dashboard/subscribers/new/",
        {"channel": "email", "address": "eve@acme.example", "audience": audience.pk},
    )
    assert response.status_code == 302
    assert Subscriber.objects.get().audience_id == audience.pk
    # A component outside the audience is refused.
    response = admin_client.post(
        "/dashboard/subscribers/new/",
        {
            "channel": "email",
            "address": "fay@acme.example",
            "audience": audience.pk,
            "components": [web.pk],
        },
    )
    assert response.status_code == 400
    assert Subscriber.objects.count() == 1
