"""Page admins set who may read their page, and how its readers sign in, in the dashboard."""

from __future__ import annotations

import pytest

from incidents.models import AuditEntry, Page
from tests.dashboard.conftest import admin_client, admin_user
from tests.readers.conftest import PRIVATE_HOST

__all__ = ["admin_client", "admin_user"]

pytestmark = pytest.mark.django_db


def _save(admin_client, **values):
    data = {"visibility": "private", "magic_link_allowed": "", "ip_allowlist": "", **values}
    return admin_client.post("/dashboard/settings/readers/", data)


def test_an_admin_makes_the_page_private_with_a_password(admin_client, client, page):
    assert client.get("/").status_code == 200
    response = _save(admin_client, password="a long enough secret")
    assert response.status_code == 302
    page.refresh_from_db()
    assert page.visibility == "private"
    assert client.get("/").status_code == 302
    assert client.get("/api/v2/summary.json").status_code == 401
    signed = client.post("/readers/password", {"password": "a long enough secret"})
    assert signed.status_code == 302 and client.get("/").status_code == 200
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert "page.reader_settings_updated" in actions
    assert not AuditEntry.objects.filter(after__icontains="a long enough secret").exists()

    # Public again: cacheable and cookie-free, as before.
    assert _save(admin_client, visibility="public").status_code == 302
    anonymous = client.__class__()
    response = anonymous.get("/")
    assert response.status_code == 200 and response["Cache-Control"].startswith("public")


def test_bad_lines_are_clear_form_errors(admin_client, page):
    response = _save(admin_client, ip_allowlist="10.0.0.0/8\nnot-a-network")
    assert response.status_code == 400
    assert b"not an address or a CIDR range" in response.content
    response = _save(admin_client, magic_link_allowed="nobody")
    assert response.status_code == 400
    response = _save(admin_client, password="short")
    assert response.status_code == 400
    assert Page.objects.get(pk=page.pk).visibility == "public"


def test_sign_every_reader_out(admin_client, client, page, settings):
    settings.ALLOWED_HOSTS = [PRIVATE_HOST, "testserver"]
    _save(admin_client, password="a long enough secret")
    client.post("/readers/password", {"password": "a long enough secret"})
    assert client.get("/").status_code == 200
    assert admin_client.post("/dashboard/settings/readers/sign-out/").status_code == 302
    assert client.get("/").status_code == 302


def test_the_form_shows_the_current_settings(admin_client, page):
    _save(admin_client, ip_allowlist="203.0.113.0/24", password="a long enough secret")
    body = admin_client.get("/dashboard/settings/readers/").content
    assert b"203.0.113.0/24" in body
    assert b"a long enough secret" not in body
