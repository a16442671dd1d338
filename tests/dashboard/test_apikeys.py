"""API key screens: admins only; the plain key is shown once; a revoked key stops working."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from incidents.models import AuditEntry
from statuspage.api.models import ApiKey

pytestmark = pytest.mark.django_db
LIST = reverse("dashboard-apikey-list")


def _shown_key(response) -> str:
    match = re.search(r'value="([a-z0-9]{40})"', response.content.decode())
    assert match, response.content
    return match.group(1)


def test_viewer_and_responder_are_refused(viewer_client, responder_client):
    for client in (viewer_client, responder_client):
        assert client.get(LIST).status_code == 403
        assert client.post(LIST, {"name": "x", "scopes": ["read"]}).status_code == 403
    assert not ApiKey.objects.exists()


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


def test_nav_link_only_for_admins(admin_client, responder_client):
    assert LIST in admin_client.get(reverse("dashboard-overview")).content.decode()
    assert LIST not in responder_client.get(reverse("dashboard-overview")).content.decode()
