"""A reader signs in through single sign-on in a real browser, on a phone-sized screen, light
and dark: from the status page to the test OpenID Connect provider's login form
(tests/sso/provider) and back to the page they asked for, with the session entry written.
A reader the page does not admit gets our 403 page. axe-core checks our pages."""

from __future__ import annotations

import pytest
from django.contrib.sessions.backends.db import SessionStore

from incidents.models import Page
from statuspage.sso import discovery
from statuspage.sso.models import OidcProvider
from tests.e2e.test_dashboard_deliveries import _axe_serious, _overflow
from tests.sso.provider.fixture import oidc_provider  # noqa: F401 - a fixture

pytestmark = pytest.mark.real_clock


@pytest.fixture
def sso_page(live_url, oidc_provider):  # noqa: F811 - the fixture imported above
    discovery.forget(oidc_provider.issuer)
    page = Page.objects.get()
    OidcProvider.objects.create(
        page=page,
        display_name="Example staff account",
        issuer=oidc_provider.issuer,
        client_id="status-reader",
        client_secret="reader-secret",
        allowed_domains="example.com",
    )
    return page


def _sign_in(browser, live_url, scheme, username, password):
    context = browser.new_context(viewport={"width": 360, "height": 740}, color_scheme=scheme)
    tab = context.new_page()
    tab.goto(f"{live_url}/readers/oidc/start?next=/history")
    assert tab.url.startswith("http://127.0.0.1:") and "/accounts/login/" in tab.url
    tab.fill("input[name=username]", username)
    tab.fill("input[name=password]", password)
    with tab.expect_navigation(url=lambda url: url.startswith(live_url)):
        tab.click("button[type=submit]")
    tab.wait_for_load_state("load")
    return context, tab


def _check_our_page(tab, axe_source, artifacts, name):
    assert _overflow(tab) <= 0, name
    tab.screenshot(path=str(artifacts / f"reader-sso-{name}.png"), full_page=True)
    assert _axe_serious(tab, axe_source) == [], name


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_reader_signs_in_through_the_provider(
    scheme, sso_page, live_url, browser, axe_source, artifacts
):
    context, tab = _sign_in(browser, live_url, scheme, "alice", "alice-password")
    try:
        assert tab.url == f"{live_url}/history"
        _check_our_page(tab, axe_source, artifacts, f"signed-in-360-{scheme}")
        session_id = next(c["value"] for c in context.cookies() if c["name"] == "sessionid")
        entry = SessionStore(session_key=session_id).load()["reader_access"][str(sso_page.pk)]
        assert entry["identity"] == "alice@example.com" and entry["method"] == "oidc"
        assert entry["claims"]["groups"] == ["staff"]
    finally:
        context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_reader_the_page_does_not_admit_gets_a_clear_page(
    scheme, sso_page, live_url, browser, axe_source, artifacts
):
    context, tab = _sign_in(browser, live_url, scheme, "bob", "bob-password")
    try:
        assert "/readers/oidc/callback" in tab.url
        assert tab.locator("h2").inner_text() == "Access denied"
        assert "not in a domain allowed" in tab.locator("[role=alert]").inner_text()
        _check_our_page(tab, axe_source, artifacts, f"refused-360-{scheme}")
        names = {c["name"] for c in context.cookies()}
        session_id = next(c["value"] for c in context.cookies() if c["name"] == "sessionid")
        assert "reader_access" not in SessionStore(session_key=session_id).load(), names
    finally:
        context.close()
