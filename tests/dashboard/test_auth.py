"""Sign-in, sign-out, password reset, throttling, hashing, CSRF and security headers."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from statuspage.dashboard.forms.auth import ThrottledAuthenticationForm
from tests.dashboard.conftest import PASSWORD

LOGIN = "/dashboard/login/"


def _login(client, username, password, ip="10.0.0.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_login_page_renders_with_strict_csp(anon_client):
    response = anon_client.get(LOGIN)
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert b"<script>" not in response.content  # only external scripts
    assert b"csrfmiddlewaretoken" in response.content


def test_anonymous_visitor_is_sent_to_login_with_next(anon_client):
    response = anon_client.get("/dashboard/incidents/")
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/login/?next=%2Fdashboard%2Fincidents%2F"


def test_correct_password_signs_in_and_lands_on_overview(anon_client, viewer):
    response = _login(anon_client, "vera", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard-overview")
    assert anon_client.get("/dashboard/").status_code == 200


def test_wrong_password_shows_an_error(anon_client, viewer):
    response = _login(anon_client, "vera", "nope")
    assert response.status_code == 200
    assert b"correct username and password" in response.content


def test_passwords_are_hashed_with_argon2(viewer):
    assert get_user_model().objects.get(pk=viewer.pk).password.startswith("argon2")


def test_username_is_locked_after_five_failures_even_with_the_right_password(anon_client, viewer):
    for n in range(5):
        _login(anon_client, "vera", "wrong", ip=f"10.0.1.{n}")
    response = _login(anon_client, "vera", PASSWORD, ip="10.0.2.1")
    assert b"Too many failed sign-in attempts" in response.content
    assert "_auth_user_id" not in anon_client.session


def test_address_is_locked_after_spraying_many_usernames(anon_client, viewer, settings):
    settings.DASHBOARD_LOGIN_IP_FAILURE_LIMIT = 3
    for name in ("a", "b", "c"):
        _login(anon_client, name, "wrong", ip="10.9.9.9")
    response = _login(anon_client, "vera", PASSWORD, ip="10.9.9.9")
    assert b"Too many failed sign-in attempts" in response.content
    # Another address is not affected.
    assert _login(Client(), "vera", PASSWORD, ip="10.9.9.10").status_code == 302


def test_successful_login_clears_the_username_count(anon_client, viewer):
    for _ in range(4):
        _login(anon_client, "vera", "wrong", ip="10.0.3.1")
    assert _login(anon_client, "vera", PASSWORD, ip="10.0.3.2").status_code == 302
    anon_client.post("/dashboard/logout/")
    for _ in range(4):
        _login(anon_client, "vera", "wrong", ip="10.0.3.3")
    assert _login(anon_client, "vera", PASSWORD, ip="10.0.3.4").status_code == 302


def test_the_sign_in_form_without_a_request_still_checks_and_counts_failures(viewer):
    """Django's AuthenticationForm takes `request=None`: the throttle then counts the attempt
    under the address "unknown" (as for a request without REMOTE_ADDR), never fails on it."""

    def sign_in(password):
        return ThrottledAuthenticationForm(data={"username": "vera", "password": password})

    assert sign_in(PASSWORD).is_valid()
    for _ in range(5):
        assert not sign_in("wrong").is_valid()
    locked = sign_in(PASSWORD)
    assert not locked.is_valid()
    assert "Too many failed sign-in attempts" in str(locked.errors)


def test_logout_needs_post(viewer_client):
    assert viewer_client.get("/dashboard/logout/").status_code == 405
    response = viewer_client.post("/dashboard/logout/")
    assert response.status_code == 302
    assert viewer_client.get("/dashboard/").status_code == 302


def test_posts_without_csrf_token_are_refused(viewer, page):
    client = Client(enforce_csrf_checks=True)
    response = client.post(LOGIN, {"username": "vera", "password": PASSWORD})
    assert response.status_code == 403


EIGHT_HOURS = 8 * 3600


def test_sessions_last_one_eight_hour_shift_by_default(anon_client, viewer, settings):
    assert settings.SESSION_COOKIE_AGE == EIGHT_HOURS  # the configured default
    _login(anon_client, "vera", PASSWORD)
    assert anon_client.session.get_expiry_age() == EIGHT_HOURS
    assert anon_client.cookies["sessionid"]["max-age"] == EIGHT_HOURS
    assert anon_client.get("/dashboard/").status_code == 200


def test_an_expired_session_is_sent_to_sign_in(anon_client, viewer):
    _login(anon_client, "vera", PASSWORD)
    # As the session store sees it once the eight hours have passed.
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = anon_client.get("/dashboard/")
    assert response.status_code == 302
    assert response["Location"].startswith("/dashboard/login/")


def test_password_reset_mails_a_link_that_sets_a_new_password(anon_client, viewer):
    response = anon_client.post("/dashboard/password-reset/", {"email": "vera@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "Reset your status dashboard password"
    assert "&amp;" not in message.body
    link = re.search(r"http://testserver(\S+)", message.body).group(1)
    form_page = anon_client.get(link, follow=True)
    assert b"Choose a new password" in form_page.content
    set_url = form_page.redirect_chain[-1][0]
    new = "another long passphrase 77"
    done = anon_client.post(set_url, {"new_password1": new, "new_password2": new})
    assert done.status_code == 302
    assert get_user_model().objects.get(username="vera").check_password(new)


def test_password_reset_for_unknown_address_looks_the_same(anon_client, viewer):
    response = anon_client.post("/dashboard/password-reset/", {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert mail.outbox == []


@pytest.mark.parametrize("path", ["/dashboard/", "/dashboard/audit/"])
def test_dashboard_pages_are_never_cached(viewer_client, path):
    response = viewer_client.get(path)
    assert response["Cache-Control"] == "no-store, private"
    assert "Content-Security-Policy" in response
