"""Driving the test provider as a browser would (its login form, its consent form), with a
requests session: the status page's side runs in Django's test client."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import requests


def login(session: requests.Session, authorize_url: str, username: str, password: str):
    """Follow the authorization URL to the provider's login form, sign in, and return the
    provider's answer to the authorization request once signed in (not followed)."""
    answer = session.get(authorize_url, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text[:500]
    login_url = urljoin(authorize_url, answer.headers["Location"])
    form = session.get(login_url, timeout=10)
    assert form.status_code == 200
    nxt = re.search(r'name="next" value="([^"]*)"', form.text).group(1).replace("&amp;", "&")
    answer = session.post(
        login_url,
        data={
            "username": username,
            "password": password,
            "next": nxt,
            "csrfmiddlewaretoken": session.cookies["provider_csrf"],
        },
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302, "the provider refused the test user's password"
    return session.get(
        urljoin(login_url, answer.headers["Location"]), allow_redirects=False, timeout=10
    )


def callback_path(answer: requests.Response) -> str:
    """The path and query of the provider's redirect back to the status page."""
    assert answer.status_code == 302, answer.text[:500]
    parts = urlsplit(answer.headers["Location"])
    assert parts.path.endswith("/readers/oidc/callback"), parts
    return f"{parts.path}?{parts.query}"


def sign_in(client, username: str, password: str, *, next_path: str = "/history") -> str:
    """Start at the status page, sign in at the provider; the callback path to call."""
    start = client.get("/readers/oidc/start", {"next": next_path})
    assert start.status_code == 302, start.content[:500]
    with requests.Session() as session:
        return callback_path(login(session, start["Location"], username, password))


def decline_consent(session: requests.Session, consent_page: requests.Response):
    """Post the provider's consent form without "allow" (the reader pressed Cancel)."""
    assert consent_page.status_code == 200, consent_page.text[:300]
    fields = dict(
        (name, value.replace("&amp;", "&"))
        for name, value in re.findall(
            r'<input type="hidden" name="([^"]+)" value="([^"]*)"', consent_page.text
        )
    )
    fields["csrfmiddlewaretoken"] = session.cookies["provider_csrf"]
    return session.post(consent_page.url, data=fields, allow_redirects=False, timeout=10)
