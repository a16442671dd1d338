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


def test_admin_moves_a_subscriber_between_audiences(admin_client, viewer_client, api, web):
    admin_client.post("/dashboard/audiences/new/", _data(api))
    admin_client.post("/dashboard/audiences/new/", _data(web, name="Beta", slug="beta"))
    acme, beta = Audience.objects.order_by("id")
    admin_client.post(
        "/dashboard/subscribers/new/",
        {
            "channel": "email",
            "address": "eve@acme.example",
            "audience": acme.pk,
            "components": [api.pk],
        },
    )
    sub = Subscriber.objects.get()
    listing = admin_client.get("/dashboard/subscribers/").content.decode()
    assert '<th scope="col">Audience</th>' in listing and "Acme Corp" in listing
    assert f"/dashboard/subscribers/{sub.public_id}/audience/" in listing
    form = admin_client.get(f"/dashboard/subscribers/{sub.public_id}/audience/").content.decode()
    assert "Beta" in form and "eve@acme.example" in form

    response = admin_client.post(
        f"/dashboard/subscribers/{sub.public_id}/audience/", {"audience": beta.pk}
    )
    assert response.status_code == 302
    sub.refresh_from_db()
    # Beta does not see the component it chose: it now hears all Beta sees, not nothing.
    assert sub.audience_id == beta.pk
    assert sub.all_components and list(sub.components.all()) == []
    entry = AuditEntry.objects.filter(action="subscriber.audience").get()
    assert entry.before["audience"] == acme.pk and entry.before["components"] == [api.pk]
    assert entry.after["audience"] == beta.pk and entry.after["components"] == []

    response = admin_client.post(f"/dashboard/subscribers/{sub.public_id}/audience/", {})
    assert response.status_code == 302
    sub.refresh_from_db()
    assert sub.audience_id is None
    assert viewer_client.get(f"/dashboard/subscribers/{sub.public_id}/audience/").status_code == 403


def test_a_move_keeps_the_chosen_components_the_new_audience_sees(admin_client, api, web):
    admin_client.post("/dashboard/audiences/new/", _data(api))
    admin_client.post("/dashboard/audiences/new/", _data(web, name="Both", slug="both"))
    acme, both = Audience.objects.order_by("id")
    both.components.add(api)
    admin_client.post(
        "/dashboard/subscribers/new/",
        {
            "channel": "email",
            "address": "eve@acme.example",
            "audience": acme.pk,
            "components": [api.pk],
        },
    )
    sub = Subscriber.objects.get()
    admin_client.post(f"/dashboard/subscribers/{sub.public_id}/audience/", {"audience": both.pk})
    sub.refresh_from_db()
    assert sub.audience_id == both.pk
    assert not sub.all_components and list(sub.components.all()) == [api]


def test_another_pages_audience_is_refused(admin_client, api, operator):
    from incidents import services
    from incidents.models import Page
    from notifications.services import SubscribeError, subscriber_audience_change

    admin_client.post("/dashboard/audiences/new/", _data(api))
    acme = Audience.objects.get()
    other = Page.objects.create(name="Other", slug="other", time_zone="Etc/UTC")
    theirs = services.audience_save(
        actor=operator, page=other, name="Theirs", slug="theirs", components=[]
    )
    admin_client.post(
        "/dashboard/subscribers/new/",
        {"channel": "email", "address": "eve@acme.example", "audience": acme.pk},
    )
    sub = Subscriber.objects.get()
    response = admin_client.post(
        f"/dashboard/subscribers/{sub.public_id}/audience/", {"audience": theirs.pk}
    )
    assert response.status_code == 400
    with pytest.raises(SubscribeError, match="Choose an audience from the list."):
        subscriber_audience_change(actor=operator, subscriber=sub, audience_id=theirs.pk)
    sub.refresh_from_db()
    assert sub.audience_id == acme.pk
    assert not AuditEntry.objects.filter(action="subscriber.audience").exists()
