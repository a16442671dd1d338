"""The Django admin is signed in to through the dashboard: its sign-in attempts go through the
same throttle counters, and its pages need the second factor like every dashboard page."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.dashboard.conftest import PASSWORD, _password_hash

ADMIN_LOGIN = "/admin/login/"
DASHBOARD_LOGIN = "/dashboard/login/"
AN_ADMIN_PAGE = "/admin/incidents/incident/"


@pytest.fixture
def root(db, page):
    return get_user_model().objects.create(
        username="root",
        email="root@example.com",
        password=_password_hash(),
        is_staff=True,
        is_superuser=True,
    )


@pytest.fixture
def root_device(root) -> TOTPDevice:
    return TOTPDevice.objects.create(user=root, name="Authenticator app", confirmed=True)


def _code(device: TOTPDevice) -> str:
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{value:06d}"


def _sign_in(client, path, username="root", password=PASSWORD, ip="10.7.7.7", **data):
    return client.post(path, {"username": username, "password": password, **data}, REMOTE_ADDR=ip)


def test_the_admin_sign_in_page_hands_over_to_the_dashboards(anon_client):
    response = anon_client.get(f"{ADMIN_LOGIN}?next={quote(AN_ADMIN_PAGE)}")
    assert response.status_code == 302
    assert response["Location"] == f"{DASHBOARD_LOGIN}?next={quote(AN_ADMIN_PAGE, safe='')}"
    # From any admin page, an anonymous visitor ends at the dashboard's sign-in, no loop.
    final = anon_client.get(AN_ADMIN_PAGE, follow=True)
    assert final.status_code == 200
    assert final.redirect_chain[-1][0].startswith(DASHBOARD_LOGIN)
    assert b'name="password"' in final.content


def test_a_next_on_another_site_is_dropped(anon_client):
    response = anon_client.get(f"{ADMIN_LOGIN}?next=https://evil.example/")
    assert response["Location"] == f"{DASHBOARD_LOGIN}?next=%2Fadmin%2F"


def test_without_a_device_a_superuser_still_signs_in_to_the_admin_with_the_password(root):
    client = Client()
    response = _sign_in(client, DASHBOARD_LOGIN, next="/admin/")
    assert response["Location"] == "/admin/"
    assert client.get(AN_ADMIN_PAGE).status_code == 200
    # Posting to the admin's own sign-in URL does the same, through the dashboard's form.
    other = Client()
    assert _sign_in(other, ADMIN_LOGIN, next="/admin/")["Location"] == "/admin/"
    assert other.get(AN_ADMIN_PAGE).status_code == 200


@pytest.mark.parametrize("path", [DASHBOARD_LOGIN, ADMIN_LOGIN])
def test_a_password_only_session_cannot_open_admin_pages(root, root_device, path):
    client = Client()
    assert _sign_in(client, path, next=AN_ADMIN_PAGE).status_code == 302
    response = client.get(AN_ADMIN_PAGE, follow=True)
    verify = f"/dashboard/2fa/verify/?next={quote(AN_ADMIN_PAGE, safe='')}"
    assert response.redirect_chain[-1][0] == verify
    assert b'name="token"' in response.content
    for admin_page in ("/admin/", "/admin/auth/user/", "/admin/incidents/page/1/change/"):
        assert client.get(admin_page).status_code == 302
    # With the code, the admin opens, at the page first asked for.
    done = client.post(verify, {"token": _code(root_device), "next": AN_ADMIN_PAGE})
    assert done["Location"] == AN_ADMIN_PAGE
    assert client.get(AN_ADMIN_PAGE).status_code == 200


def test_require_2fa_keeps_a_superuser_without_a_device_out_of_the_admin(root, settings):
    settings.DASHBOARD_REQUIRE_2FA = True
    client = Client()
    _sign_in(client, DASHBOARD_LOGIN)
    response = client.get(AN_ADMIN_PAGE, follow=True)
    assert response.redirect_chain[-1][0] == "/dashboard/2fa/setup/"
    assert client.get(AN_ADMIN_PAGE).status_code == 302


def test_a_signed_in_operator_without_admin_rights_is_refused_not_looped(viewer_client):
    response = viewer_client.get("/admin/", follow=True)
    assert response.status_code == 403


def test_admin_sign_in_failures_lock_the_account_everywhere(root):
    for n in range(5):
        response = _sign_in(Client(), ADMIN_LOGIN, password="wrong", ip=f"10.8.0.{n}")
        assert response.status_code == 200
    for path in (ADMIN_LOGIN, DASHBOARD_LOGIN):
        client = Client()
        locked = _sign_in(client, path, ip="10.8.1.1")
        assert b"Too many failed sign-in attempts" in locked.content
        assert client.get("/admin/").status_code == 302


def test_thirty_wrong_passwords_at_the_admin_then_the_right_one_does_not_sign_in(root):
    client = Client()
    for _ in range(30):
        _sign_in(client, ADMIN_LOGIN, password="wrong")
    response = _sign_in(client, ADMIN_LOGIN)
    assert b"Too many failed sign-in attempts" in response.content
    assert "_auth_user_id" not in client.session


def test_admin_and_dashboard_failures_add_up_per_address(root, settings):
    settings.DASHBOARD_LOGIN_IP_FAILURE_LIMIT = 3
    _sign_in(Client(), ADMIN_LOGIN, username="a", password="wrong")
    _sign_in(Client(), DASHBOARD_LOGIN, username="b", password="wrong")
    _sign_in(Client(), ADMIN_LOGIN, username="c", password="wrong")
    for path in (ADMIN_LOGIN, DASHBOARD_LOGIN):
        assert b"Too many failed sign-in attempts" in _sign_in(Client(), path).content
    # Another address is not affected.
    assert _sign_in(Client(), ADMIN_LOGIN, ip="10.7.7.8").status_code == 302
