"""GET /api/v1/pages lists the key's pages; PATCH /api/v1/pages/{id} edits one, our fields
`hosts` and `visibility` included (stored and returned)."""

from __future__ import annotations

import pytest

from incidents.models import Page, PageHost
from statuspage.access.models import Role, Scope
from tests.api.v1.conftest import ApiClient

pytestmark = pytest.mark.django_db


def test_the_page_object_carries_hosts_and_visibility(page, page_url, make_key):
    PageHost.objects.create(page=page, host="status.example.com")
    data = ApiClient(make_key(Role.VIEWER)).get(page_url()).json()
    assert data["id"] == page.public_id
    assert data["hosts"] == ["status.example.com"]
    assert data["domain"] == "status.example.com"
    assert data["subdomain"] == page.slug
    assert data["visibility"] == "public"


def test_an_install_wide_key_lists_every_page(page, make_key):
    other = Page.objects.create(name="Shop", slug="shop", time_zone="Etc/UTC")
    listed = ApiClient(make_key(Role.VIEWER)).get("/api/v1/pages").json()
    assert [p["id"] for p in listed] == [page.public_id, other.public_id]


def test_patch_sets_hosts_and_visibility(page, page_url, make_key):
    client = ApiClient(make_key(Role.ADMIN))
    response = client.patch(
        page_url(),
        {"page": {"hosts": ["Status.Example.com", "status.example.org"], "visibility": "private"}},
    )
    assert response.status_code == 200, response.content
    assert response.json()["hosts"] == ["status.example.com", "status.example.org"]
    assert response.json()["visibility"] == "private"
    page.refresh_from_db()
    assert page.visibility == "private"
    assert sorted(page.hosts.values_list("host", flat=True)) == [
        "status.example.com",
        "status.example.org",
    ]
    response = client.patch(page_url(), {"page": {"hosts": ["status.example.org"]}})
    assert response.json()["hosts"] == ["status.example.org"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"visibility": "secret"}, "visibility"),
        ({"hosts": "status.example.com"}, "hosts"),
        ({"hosts": ["not a host!"]}, "hosts"),
        ({"domain": "x.example.com"}, "domain"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(page, page_url, make_key, body, field):
    response = ApiClient(make_key(Role.ADMIN)).patch(page_url(), {"page": body})
    assert response.status_code == 422, response.content
    assert field in response.json()["errors"]
    assert Page.objects.get(pk=page.pk).visibility == "public"


def test_a_host_of_another_page_is_refused(page, page_url, make_key):
    other = Page.objects.create(name="Shop", slug="shop", time_zone="Etc/UTC")
    PageHost.objects.create(page=other, host="shop.example.com")
    response = ApiClient(make_key(Role.ADMIN)).patch(
        page_url(), {"page": {"hosts": ["shop.example.com"]}}
    )
    assert response.status_code == 422
    assert list(page.hosts.all()) == []


def test_editing_a_page_needs_admin_on_it(page, page_url, make_key):
    raw = make_key(Role.RESPONDER, scopes=[Scope.READ, Scope.INCIDENTS])
    response = ApiClient(raw).patch(page_url(), {"page": {"name": "New"}})
    assert response.status_code == 403
