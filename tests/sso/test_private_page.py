"""Single sign-on opens a private page: the gate sends an anonymous reader to the sign-in page,
which offers the page's provider; after signing in at the real provider on loopback
(tests/sso/provider) the same client reads the page, privately cached."""

from __future__ import annotations

import pytest
import requests

from incidents import page_routes, services
from incidents.models import Page
from statuspage.sso import discovery
from statuspage.sso.models import OidcProvider
from tests.sso.signin import callback_path, login

pytestmark = [pytest.mark.real_clock, pytest.mark.django_db]


@pytest.fixture
def private_sso(page, operator, oidc_provider):
    discovery.forget(oidc_provider.issuer)
    services.component_create(name="Kookaburra cluster", actor=operator)
    Page.objects.filter(pk=page.pk).update(visibility="private")
    page_routes.changed()  # an update() skips the save signal that reloads the routes
    return OidcProvider.objects.create(
        page=page,
        display_name="Example staff login",
        issuer=oidc_provider.issuer,
        client_id="status-reader",
        client_secret="reader-secret",
        allowed_domains="example.com",
    )


def test_single_sign_on_lets_a_reader_into_a_private_page(client, private_sso):
    anonymous = client.get("/")
    assert anonymous.status_code == 302
    assert "Kookaburra" not in anonymous.content.decode()
    signin = client.get(anonymous["Location"])
    body = signin.content.decode()
    assert signin.status_code == 200 and "Kookaburra" not in body
    start_link = "/readers/oidc/start?next=/"
    assert f'href="{start_link}"' in body and "Sign in with Example staff login" in body

    start = client.get(start_link)
    with requests.Session() as browser:
        back = callback_path(login(browser, start["Location"], "alice", "alice-password"))
    assert client.get(back)["Location"] == "/"

    page = client.get("/")
    assert page.status_code == 200 and "Kookaburra cluster" in page.content.decode()
    assert "private" in page["Cache-Control"] and "public" not in page["Cache-Control"]
    # Another browser, never signed in, is still refused with the cache warm.
    assert client.__class__().get("/").status_code == 302


def test_a_page_without_a_provider_offers_no_single_sign_on(client, private_sso):
    private_sso.delete()
    body = client.get("/readers/").content.decode()
    assert "Sign in with" not in body and "/readers/oidc/start" not in body
