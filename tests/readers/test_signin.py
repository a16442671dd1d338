"""Each sign-in method of a private page: shared password (right, wrong, rate limited, changed),
IP allowlist (listed, not listed, behind the trusted proxy), email magic link (real SMTP,
single use, expiry, listed addresses and domains only)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.cache import cache

from statuspage.readers import services as reader_services
from tests.notifications.conftest import smtp_sink
from tests.readers.conftest import PASSWORD, PRIVATE_HOST, leaks, sign_in

__all__ = ["smtp_sink"]

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_counts():
    cache.clear()  # the attempt counters live in the cache


def _password(client, password: str, **extra):
    return client.post("/readers/password", {"password": password}, HTTP_HOST=PRIVATE_HOST, **extra)


def test_right_password_signs_in_and_writes_the_contract_entry(client, private):
    response = _password(client, PASSWORD)
    assert response.status_code == 302
    entry = client.session["reader_access"][str(private["page"].pk)]
    assert entry["identity"] == "password" and entry["method"] == "password"
    assert entry["claims"] == {} and entry["at"].startswith("20")
    assert client.get("/", HTTP_HOST=PRIVATE_HOST).status_code == 200


def test_sign_in_cycles_the_session_key(client, private):
    client.get("/readers/", HTTP_HOST=PRIVATE_HOST)
    session = client.session
    session["before"] = True
    session.save()
    before = session.session_key
    _password(client, PASSWORD)
    assert client.session.session_key != before


def test_wrong_password_is_refused_with_a_message(client, private):
    response = _password(client, "nope")
    assert response.status_code == 400
    assert b"That password is not right." in response.content
    assert not leaks(response.content.replace(b"Zebracorn internal", b""))
    assert client.get("/", HTTP_HOST=PRIVATE_HOST).status_code == 302


def test_password_attempts_are_rate_limited_per_address(client, private):
    for _ in range(5):
        assert _password(client, "nope").status_code == 400
    limited = _password(client, PASSWORD)  # even the right one, once the address used its tries
    assert limited.status_code == 429
    assert b"Too many attempts" in limited.content
    assert client.get("/", HTTP_HOST=PRIVATE_HOST).status_code == 302
    # Another address still has its own tries.
    assert _password(client, PASSWORD, REMOTE_ADDR="198.51.100.7").status_code == 302


def test_changing_the_password_signs_everyone_out(client, private, operator):
    sign_in(client)
    assert client.get("/", HTTP_HOST=PRIVATE_HOST).status_code == 200
    reader_services.settings_save(
        page=private["page"],
        actor=operator,
        password="a new password",
        magic_link_allowed="",
        ip_allowlist="",
    )
    assert client.get("/", HTTP_HOST=PRIVATE_HOST).status_code == 302
    assert _password(client, PASSWORD).status_code == 400
    assert _password(client, "a new password").status_code == 302


def test_sign_out_everyone(client, private, operator):
    sign_in(client)
    reader_services.sign_out_everyone(page=private["page"], actor=operator)
    assert client.get("/", HTTP_HOST=PRIVATE_HOST).status_code == 302


def test_the_password_is_stored_hashed(private):
    row = private["page"].reader_settings
    assert PASSWORD not in row.password_hash
    assert row.password_hash.startswith("argon2")


def test_an_allowed_address_reads_without_signing_in(client, private):
    response = client.get("/", HTTP_HOST=PRIVATE_HOST, REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 200 and leaks(response.content)
    assert "private" in response["Cache-Control"]
    feed = client.get("/history.atom", HTTP_HOST=PRIVATE_HOST, REMOTE_ADDR="203.0.113.200")
    assert feed.status_code == 200


def test_an_address_not_listed_is_refused(client, private):
    for address in ("203.0.114.1", "127.0.0.1", "2001:db8::1"):
        response = client.get("/api/v2/summary.json", HTTP_HOST=PRIVATE_HOST, REMOTE_ADDR=address)
        assert response.status_code == 401, address
        assert not leaks(response.content)


def test_forwarded_for_counts_only_behind_the_trusted_proxy(client, private, settings):
    forged = {"HTTP_X_FORWARDED_FOR": "203.0.113.9", "REMOTE_ADDR": "10.0.0.5"}
    settings.TRUST_X_FORWARDED_FOR = False
    assert client.get("/", HTTP_HOST=PRIVATE_HOST, **forged).status_code == 302
    settings.TRUST_X_FORWARDED_FOR = True
    assert client.get("/", HTTP_HOST=PRIVATE_HOST, **forged).status_code == 200
    # The last entry is the one our proxy wrote: a client's own earlier entry does not count.
    spoofed = {"HTTP_X_FORWARDED_FOR": "203.0.113.9, 198.51.100.1", "REMOTE_ADDR": "10.0.0.5"}
    assert client.get("/", HTTP_HOST=PRIVATE_HOST, **spoofed).status_code == 302


def test_a_bad_allowlist_line_is_refused(private, operator):
    with pytest.raises(ValueError, match="not an address"):
        reader_services.settings_save(
            page=private["page"], actor=operator, magic_link_allowed="", ip_allowlist="10.0.0/8x"
        )


# --- magic links --------------------------------------------------------------------------


def _request_link(client, email: str):
    return client.post("/readers/link", {"email": email}, HTTP_HOST=PRIVATE_HOST)


def _link_in(message) -> str:
    body = message.get_body(("plain",)).get_content()
    match = re.search(r"http://private\.test(/readers/link/\S+)", body)
    assert match, body
    return match.group(1)


def test_magic_link_by_real_smtp_signs_in_once(client, private, smtp_sink):
    response = _request_link(client, "Alice@Example.com")
    assert response.status_code == 200
    assert b"a sign-in link is on its way" in response.content
    assert len(smtp_sink.messages) == 1
    message = smtp_sink.messages[0]
    assert message["To"] == "Alice@Example.com"
    assert "Zebracorn internal" in message["Subject"]
    path = _link_in(message)
    # Opening the link (a mail scanner does) spends nothing: it shows a button.
    assert client.get(path, HTTP_HOST=PRIVATE_HOST).status_code == 200
    assert client.get("/", HTTP_HOST=PRIVATE_HOST).status_code == 302
    response = client.post(path, HTTP_HOST=PRIVATE_HOST)
    assert response.status_code == 302
    entry = client.session["reader_access"][str(private["page"].pk)]
    assert entry["identity"] == "alice@example.com" and entry["method"] == "magic_link"
    assert client.get("/", HTTP_HOST=PRIVATE_HOST).status_code == 200

    other = client.__class__()
    reused = other.post(path, HTTP_HOST=PRIVATE_HOST)
    assert reused.status_code == 400 and b"expired or was already used" in reused.content
    assert other.get("/", HTTP_HOST=PRIVATE_HOST).status_code == 302


def test_a_listed_domain_gets_a_link_and_others_do_not(client, private, smtp_sink):
    assert _request_link(client, "bob@corp.test").status_code == 200
    unlisted = _request_link(client, "mallory@evil.test")
    sub = _request_link(client, "eve@sub.corp.test")
    # The same answer either way: the list cannot be probed.
    assert unlisted.status_code == sub.status_code == 200
    assert b"a sign-in link is on its way" in unlisted.content
    assert [m["To"] for m in smtp_sink.messages] == ["bob@corp.test"]


def test_an_expired_link_is_refused(client, private, smtp_sink, clock):
    _request_link(client, "alice@example.com")
    path = _link_in(smtp_sink.messages[0])
    clock.shift(timedelta(seconds=reader_services.MAGIC_LINK_SECONDS + 5))
    response = client.post(path, HTTP_HOST=PRIVATE_HOST)
    assert response.status_code == 400
    assert client.get("/", HTTP_HOST=PRIVATE_HOST).status_code == 302


def test_a_link_of_another_page_or_a_forged_one_is_refused(client, private, operator):
    token = reader_services.magic_link_token(private["page"].pk + 1000, "alice@example.com")
    assert client.post(f"/readers/link/{token}", HTTP_HOST=PRIVATE_HOST).status_code == 400
    good = reader_services.magic_link_token(private["page"].pk, "alice@example.com")
    assert client.post(f"/readers/link/{good}x", HTTP_HOST=PRIVATE_HOST).status_code == 400
    # An address taken off the list since the link was sent.
    reader_services.settings_save(
        page=private["page"], actor=operator, magic_link_allowed="", ip_allowlist=""
    )
    assert client.post(f"/readers/link/{good}", HTTP_HOST=PRIVATE_HOST).status_code == 400


def test_link_requests_are_rate_limited(client, private, smtp_sink):
    for _ in range(7):
        _request_link(client, "alice@example.com")
    assert len(smtp_sink.messages) == 5


def test_a_malformed_email_is_a_clear_400(client, private):
    response = _request_link(client, "not an address")
    assert response.status_code == 400 and b"Enter an email address." in response.content
