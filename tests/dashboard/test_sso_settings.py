"""A page's single sign-on provider in the dashboard: admins only, the client secret required
once and never shown back (nor written to the audit log), bad values refused with a 400."""

from __future__ import annotations

import pytest

from incidents.models import AuditEntry
from statuspage.sso import selectors
from statuspage.sso.models import OidcProvider

pytestmark = pytest.mark.django_db

URL = "/dashboard/settings/sign-in/"
SECRET = "s3cr3t-value-never-shown-9f2c"
VALID = {
    "enabled": "on",
    "display_name": "Example staff account",
    "issuer": "https://sso.example.com/realms/staff/",
    "client_id": "status-page",
    "client_secret": SECRET,
    "scopes": "openid email profile",
    "allowed_domains": "Example.com, @example.org",
    "required_claim": "groups",
    "required_value": "staff",
}


def test_only_admins_open_it(viewer_client, responder_client, admin_client):
    assert viewer_client.get(URL).status_code == 403
    assert responder_client.post(URL, VALID).status_code == 403
    assert admin_client.get(URL).status_code == 200
    assert not OidcProvider.objects.exists()


def test_an_admin_sets_up_the_provider_and_the_secret_stays_hidden(admin_client, page):
    page_html = admin_client.get("/dashboard/settings/").content.decode()
    assert URL in page_html

    assert admin_client.post(URL, VALID).status_code == 302

    row = OidcProvider.objects.get(page=page)
    assert row.issuer == "https://sso.example.com/realms/staff"  # no trailing slash
    assert row.client_secret == SECRET
    assert row.allowed_domains == "example.com example.org"
    assert selectors.provider_for_page(page.pk).display_name == "Example staff account"
    entry = AuditEntry.objects.get(action="page.oidc_provider_created")
    assert SECRET not in str(entry.after) and entry.after["client_secret"] == "changed"
    html = admin_client.get(URL).content.decode()
    assert SECRET not in html
    assert f"{page.public_url}/readers/oidc/callback" in html
    # An empty secret keeps the saved one.
    assert admin_client.post(URL, {**VALID, "client_secret": "", "enabled": ""}).status_code == 302
    row.refresh_from_db()
    assert row.client_secret == SECRET and not row.enabled
    assert selectors.provider_for_page(page.pk) is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"issuer": "http://sso.example.com"}, "issuer"),
        ({"issuer": "https://sso.example.com/?x=1"}, "issuer"),
        ({"issuer": "not a url"}, "issuer"),
        ({"client_secret": ""}, "client_secret"),
        ({"required_value": ""}, "required_value"),
        ({"required_claim": ""}, "required_claim"),
        ({"allowed_domains": "example..com"}, "allowed_domains"),
        ({"scopes": 'openid "email"'}, "scopes"),
        ({"display_name": "x" * 81}, "display_name"),
        ({"client_id": "a\x00b"}, "client_id"),
    ],
)
def test_bad_values_are_refused(admin_client, page, changes, field):
    response = admin_client.post(URL, {**VALID, **changes})
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not OidcProvider.objects.exists()


def test_plain_http_is_allowed_on_this_machine_only(admin_client, page):
    assert admin_client.post(URL, {**VALID, "issuer": "http://127.0.0.1:8080/o"}).status_code == 302


def test_an_admin_removes_it(admin_client, page):
    admin_client.post(URL, VALID)
    assert admin_client.post(URL, {"action": "remove"}).status_code == 302
    assert not OidcProvider.objects.exists()
    assert AuditEntry.objects.filter(action="page.oidc_provider_deleted").exists()
