"""Readers' single sign-on, end to end against a real OpenID Connect provider on loopback
(tests/sso/provider): the status page runs in Django's test client, the provider's forms are
driven over HTTP. The provider's tokens carry real time, so these tests do too."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.test import Client

from incidents.models import Page
from statuspage.sso import discovery
from statuspage.sso.models import OidcProvider
from tests.sso.signin import callback_path, decline_consent, login, sign_in

pytestmark = [pytest.mark.real_clock, pytest.mark.django_db]


@pytest.fixture
def sso(page, oidc_provider):
    discovery.forget(oidc_provider.issuer)
    return OidcProvider.objects.create(
        page=page,
        display_name="Example staff login",
        issuer=oidc_provider.issuer,
        client_id="status-reader",
        client_secret="reader-secret",
        allowed_domains="example.com",
        required_claim="groups",
        required_value="staff",
    )


def access(client: Client) -> dict:
    return client.session.get("reader_access") or {}


def test_sign_in_writes_the_session_entry_and_returns_to_the_page(client, page, sso):
    start = client.get("/readers/oidc/start", {"next": "/history"})
    assert start.status_code == 302
    query = parse_qs(urlsplit(start["Location"]).query)
    # PKCE, state and nonce are all in the authorization request.
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert query["state"][0] and query["nonce"][0]
    assert query["scope"] == ["openid email profile"]
    assert "no-cache" in start["Cache-Control"] and "private" in start["Cache-Control"]
    session_before = client.cookies["sessionid"].value
    with requests.Session() as browser:
        back = callback_path(login(browser, start["Location"], "alice", "alice-password"))

    done = client.get(back)

    assert done.status_code == 302 and done["Location"] == "/history"
    entry = access(client)[str(page.pk)]
    assert entry["identity"] == "alice@example.com"
    assert entry["method"] == "oidc"
    assert entry["claims"]["groups"] == ["staff"]
    assert entry["claims"]["email"] == "alice@example.com"
    assert entry["claims"]["iss"] == sso.issuer and entry["claims"]["sub"]
    assert "nonce" not in entry["claims"] and "aud" not in entry["claims"]
    assert entry["at"].endswith("+00:00")
    # A new session id at sign-in (no fixation).
    assert client.cookies["sessionid"].value != session_before


def test_a_used_state_does_not_sign_in_twice(client, page, sso):
    back = sign_in(client, "alice", "alice-password")
    assert client.get(back).status_code == 302
    fresh = Client()
    again = fresh.get(back)
    assert again.status_code == 400
    assert b"Sign-in link not valid" in again.content
    assert access(fresh) == {}


def test_a_replayed_code_is_refused_by_the_provider(client, page, sso):
    back = sign_in(client, "alice", "alice-password")
    assert client.get(back).status_code == 302
    code = parse_qs(urlsplit(back).query)["code"][0]
    # Another browser starts its own sign-in (a state of its own) and sends the used code.
    other = Client()
    start = other.get("/readers/oidc/start")
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]

    replay = other.get("/readers/oidc/callback", {"code": code, "state": state})

    assert replay.status_code == 400
    assert b"did not accept the sign-in code" in replay.content
    assert access(other) == {}


def test_a_tampered_state_is_refused(client, page, sso):
    back = sign_in(client, "alice", "alice-password")
    query = parse_qs(urlsplit(back).query)
    state = query["state"][0]
    tampered = state[:-1] + ("A" if state[-1] != "A" else "B")

    answer = client.get("/readers/oidc/callback", {"code": query["code"][0], "state": tampered})

    assert answer.status_code == 400
    assert b"Sign-in link not valid" in answer.content
    assert access(client) == {}


@pytest.mark.parametrize(
    ("domains", "claim", "value"),
    [("example.com", "", ""), ("", "groups", "staff")],
    ids=["domain", "claim"],
)
def test_a_reader_outside_the_rules_gets_403(client, page, sso, domains, claim, value):
    OidcProvider.objects.filter(pk=sso.pk).update(
        allowed_domains=domains, required_claim=claim, required_value=value
    )
    back = sign_in(client, "bob", "bob-password")

    answer = client.get(back)

    assert answer.status_code == 403
    assert b"Access denied" in answer.content
    assert access(client) == {}


def test_a_reader_inside_the_rules_of_another_group_gets_403(client, page, sso):
    OidcProvider.objects.filter(pk=sso.pk).update(required_value="admins")
    answer = client.get(sign_in(client, "alice", "alice-password"))
    assert answer.status_code == 403
    assert access(client) == {}


def test_declined_consent_gets_403(client, page, sso):
    OidcProvider.objects.filter(pk=sso.pk).update(
        client_id="asks-consent", client_secret="consent-secret"
    )
    start = client.get("/readers/oidc/start")
    with requests.Session() as browser:
        consent = login(browser, start["Location"], "alice", "alice-password")
        back = callback_path(decline_consent(browser, consent))
    assert "error=access_denied" in back

    answer = client.get(back)

    assert answer.status_code == 403
    assert b"Sign-in cancelled" in answer.content
    assert access(client) == {}


def test_a_code_issued_to_another_client_is_refused(client, page, sso):
    start = client.get("/readers/oidc/start")
    # The authorization request rewritten for another client registered at the provider.
    authorize = start["Location"].replace("client_id=status-reader", "client_id=other-app")
    with requests.Session() as browser:
        back = callback_path(login(browser, authorize, "alice", "alice-password"))

    answer = client.get(back)

    assert answer.status_code == 400
    assert access(client) == {}


def test_a_discovery_document_for_another_issuer_is_refused(client, page, sso, oidc_provider):
    # The same provider reached under another name: its document names its real issuer.
    other_name = oidc_provider.issuer.replace("127.0.0.1", "localhost")
    OidcProvider.objects.filter(pk=sso.pk).update(issuer=other_name)

    answer = client.get("/readers/oidc/start")

    assert answer.status_code == 502
    assert b"Sign-in provider unavailable" in answer.content


def test_a_provider_that_is_down_gets_a_clear_page(client, page, sso):
    OidcProvider.objects.filter(pk=sso.pk).update(issuer="http://127.0.0.1:9/o")
    answer = client.get("/readers/oidc/start")
    assert answer.status_code == 502
    assert b"could not be reached" in answer.content


@pytest.mark.parametrize(
    "next_path",
    ["https://evil.example/", "//evil.example/x", "/\\evil.example", "/p/other-page/"],
)
def test_sign_in_never_redirects_off_the_page(client, page, sso, next_path):
    back = sign_in(client, "alice", "alice-password", next_path=next_path)
    done = client.get(back)
    assert done.status_code == 302 and done["Location"] == "/"
    assert access(client)[str(page.pk)]["identity"] == "alice@example.com"


def test_a_page_without_single_sign_on_has_no_such_address(client, page):
    assert client.get("/readers/oidc/start").status_code == 404
    assert client.get("/readers/oidc/callback", {"state": "x", "code": "y"}).status_code == 404


@pytest.fixture
def internal(page, oidc_provider):
    internal = Page.objects.create(name="Internal", slug="internal", time_zone="Etc/UTC")
    OidcProvider.objects.create(
        page=internal,
        display_name="Staff",
        issuer=oidc_provider.issuer,
        client_id="status-reader",
        client_secret="reader-secret",
    )
    return internal


def test_a_page_under_its_prefix_signs_in_its_own_readers(client, page, sso, internal):
    start = client.get("/p/internal/readers/oidc/start", {"next": "/p/internal/history"})
    redirect_uri = parse_qs(urlsplit(start["Location"]).query)["redirect_uri"][0]
    assert redirect_uri == "http://testserver/p/internal/readers/oidc/callback"
    with requests.Session() as browser:
        back = callback_path(login(browser, start["Location"], "bob", "bob-password"))

    done = client.get(back)

    assert done.status_code == 302 and done["Location"] == "/p/internal/history"
    # The entry names the internal page only; bob could not read the default page (domains).
    assert set(access(client)) == {str(internal.pk)}
    assert access(client)[str(internal.pk)]["identity"] == "bob@elsewhere.test"


@pytest.mark.parametrize("next_path", ["/history", "/p/other/", "https://evil.example/"])
def test_a_prefixed_page_never_sends_its_readers_to_another_page(
    client, page, sso, internal, next_path
):
    start = client.get("/p/internal/readers/oidc/start", {"next": next_path})
    with requests.Session() as browser:
        back = callback_path(login(browser, start["Location"], "bob", "bob-password"))
    done = client.get(back)
    assert done.status_code == 302 and done["Location"] == "/p/internal/"


def test_a_sign_in_started_for_one_page_does_not_sign_in_to_another(client, page, sso, internal):
    # Started on the internal page (which admits bob), returned to the default page's callback.
    start = client.get("/p/internal/readers/oidc/start")
    with requests.Session() as browser:
        back = callback_path(login(browser, start["Location"], "bob", "bob-password"))

    answer = client.get(back.removeprefix("/p/internal"))

    assert answer.status_code == 400
    assert access(client) == {}
