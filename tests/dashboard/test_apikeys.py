"""API key screens: everyone reads the list (prefixes only), admins create and revoke; the plain
key is shown once; a revoked key stops working."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import reverse

from incidents.models import AuditEntry
from statuspage.access.models import ApiKey

pytestmark = pytest.mark.django_db
LIST = reverse("dashboard-apikey-list")


def _shown_key(response) -> str:
    match = re.search(r'value="([a-z0-9]{40})"', response.content.decode())
    assert match, response.content
    return match.group(1)


def test_viewer_and_responder_read_prefixes_but_cannot_create_or_revoke(
    viewer_client, responder_client, admin_client, admin_user
):
    admin_client.post(LIST, {"name": "CI", "scopes": ["read"], "owner": admin_user.pk})
    raw = _shown_key(admin_client.get(reverse("dashboard-apikey-created")))
    key = ApiKey.objects.get()
    revoke = reverse("dashboard-apikey-revoke", args=[key.pk])
    for client in (viewer_client, responder_client):
        listing = client.get(LIST)
        html = listing.content.decode()
        assert listing.status_code == 200
        assert "CI" in html and f"<code>{key.prefix}…</code>" in html
        assert raw not in html and key.digest not in html
        assert "Create a key" not in html and revoke not in html and "Read only" in html
        assert client.post(LIST, {"name": "x", "scopes": ["read"]}).status_code == 403
        assert client.post(revoke).status_code == 403
        assert client.get(reverse("dashboard-apikey-created")).status_code == 403
    assert ApiKey.objects.count() == 1
    key.refresh_from_db()
    assert key.revoked_at is None


def test_admin_creates_a_key_shown_once(admin_client, admin_user, page):
    response = admin_client.post(
        LIST, {"name": "CI", "scopes": ["read", "incidents:write"], "owner": admin_user.pk}
    )
    assert response.status_code == 302
    key = ApiKey.objects.get()
    assert (key.owner, key.scopes) == (admin_user, ["incidents:write", "read"])
    shown = admin_client.get(response["Location"])
    assert shown.status_code == 200
    assert shown["Cache-Control"] == "no-store"
    raw = _shown_key(shown)
    assert raw.startswith(key.prefix) and raw in shown.content.decode()
    again = admin_client.get(response["Location"], follow=True)
    assert raw not in again.content.decode()
    assert "shown only once" in again.content.decode()
    listing = admin_client.get(LIST).content.decode()
    assert "CI" in listing and key.prefix in listing and raw not in listing
    api = Client().get(f"/api/v1/pages/{page.public_id}", HTTP_AUTHORIZATION=f"OAuth {raw}")
    assert api.status_code == 200
    assert AuditEntry.objects.filter(action="api_key.create", via="dashboard").exists()


def test_key_for_another_operator_is_capped_by_their_role(admin_client, viewer):
    response = admin_client.post(
        LIST, {"name": "too much", "scopes": ["components:write"], "owner": viewer.pk}
    )
    assert response.status_code == 400
    assert "cannot hold" in response.content.decode()
    assert not ApiKey.objects.exists()
    response = admin_client.post(LIST, {"name": "ro", "scopes": ["read"], "owner": viewer.pk})
    assert response.status_code == 302
    assert ApiKey.objects.get().owner == viewer


def test_revoked_key_gets_401(admin_client, admin_user, page):
    admin_client.post(LIST, {"name": "k", "scopes": ["read"], "owner": admin_user.pk})
    raw = _shown_key(admin_client.get(reverse("dashboard-apikey-created")))
    key = ApiKey.objects.get()
    revoke = reverse("dashboard-apikey-revoke", args=[key.pk])
    assert admin_client.get(revoke).status_code == 405
    assert admin_client.post(revoke).status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None
    response = Client().get(f"/api/v1/pages/{page.public_id}", HTTP_AUTHORIZATION=f"OAuth {raw}")
    assert response.status_code == 401


def test_nav_link_for_every_role(admin_client, responder_client, viewer_client):
    for client in (admin_client, responder_client, viewer_client):
        assert LIST in client.get(reverse("dashboard-overview")).content.decode()


def test_key_times_are_shown_in_the_page_time_zone(admin_client, admin_user, page):
    page.time_zone = "America/New_York"
    page.save()
    key = ApiKey.objects.create(
        name="tz",
        owner=admin_user,
        prefix="tzkey000",
        digest="0" * 64,
        created_at=datetime(2030, 1, 15, 12, 0, tzinfo=UTC),
        last_used_at=datetime(2030, 7, 1, 12, 30, tzinfo=UTC),
        revoked_at=datetime(2030, 7, 2, 3, 0, tzinfo=UTC),
    )
    html = admin_client.get(LIST).content.decode()
    row = re.search(r"<tr>\s*<td data-label=\"Name\">tz</td>.*?</tr>", html, re.DOTALL).group(0)
    # Winter (EST, UTC-5) and summer (EDT, UTC-4), each with its abbreviation.
    assert "2030-01-15 07:00 EST" in row
    assert "2030-07-01 08:30 EDT" in row
    assert "2030-07-01 23:00 EDT" in row
    assert key.prefix in row
