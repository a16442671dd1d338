"""TOTP two-factor: setup with a QR code, verification after sign-in, recovery codes, and the
REQUIRE_2FA setting."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.dashboard.conftest import PASSWORD


def _code(device: TOTPDevice, drift: int = 0) -> str:
    # A code is accepted once per time step (replay protection): later sign-ins in the same test
    # use the next step's code, which the device accepts within its tolerance.
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=drift)
    return f"{value:06d}"


def _enrol(client, user) -> list[str]:
    client.get("/dashboard/2fa/setup/")
    device = TOTPDevice.objects.get(user=user)
    response = client.post("/dashboard/2fa/setup/", {"token": _code(device)})
    assert response.status_code == 200
    return re.findall(r"<code>(\w+)</code>", response.content.decode())


def _sign_in(username: str) -> Client:
    client = Client()
    response = client.post(
        "/dashboard/login/", {"username": username, "password": PASSWORD}, REMOTE_ADDR="10.1.1.1"
    )
    assert response.status_code == 302
    return client


def test_setup_page_shows_the_qr_code_as_inline_svg(viewer_client):
    response = viewer_client.get("/dashboard/2fa/setup/")
    assert response.status_code == 200
    assert b"<svg" in response.content and b"<path" in response.content
    assert b"<script" not in response.content.split(b"</head>")[1]


def test_a_wrong_setup_code_is_refused(viewer_client, viewer):
    viewer_client.get("/dashboard/2fa/setup/")
    response = viewer_client.post("/dashboard/2fa/setup/", {"token": "000000x"})
    assert b"That code is not right" in response.content
    assert not TOTPDevice.objects.get(user=viewer).confirmed


def test_confirming_setup_shows_ten_single_use_recovery_codes(viewer_client, viewer):
    codes = _enrol(viewer_client, viewer)
    assert len(codes) == 10
    assert TOTPDevice.objects.get(user=viewer).confirmed
    assert StaticToken.objects.filter(device__user=viewer).count() == 10


def test_after_sign_in_a_user_with_a_device_must_enter_a_code(viewer_client, viewer):
    _enrol(viewer_client, viewer)
    client = _sign_in("vera")
    response = client.get("/dashboard/audit/")
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/2fa/verify/?next=%2Fdashboard%2Faudit%2F"
    device = TOTPDevice.objects.get(user=viewer)
    response = client.post(
        "/dashboard/2fa/verify/", {"token": _code(device, drift=1), "next": "/dashboard/audit/"}
    )
    assert response["Location"] == "/dashboard/audit/"
    assert client.get("/dashboard/audit/").status_code == 200


def test_a_recovery_code_works_once(viewer_client, viewer):
    codes = _enrol(viewer_client, viewer)
    client = _sign_in("vera")
    assert client.post("/dashboard/2fa/verify/", {"token": codes[0]}).status_code == 302
    assert client.get("/dashboard/").status_code == 200
    again = _sign_in("vera")
    response = again.post("/dashboard/2fa/verify/", {"token": codes[0]})
    assert response.status_code == 200
    assert b"That code is not right" in response.content


def test_verify_does_not_redirect_off_site(viewer_client, viewer):
    codes = _enrol(viewer_client, viewer)
    client = _sign_in("vera")
    response = client.post(
        "/dashboard/2fa/verify/", {"token": codes[1], "next": "https://evil.example/"}
    )
    assert response["Location"] == "/dashboard/"


@pytest.mark.parametrize("path", ["/dashboard/", "/dashboard/incidents/"])
def test_require_2fa_sends_users_without_a_device_to_setup(viewer_client, settings, path):
    settings.DASHBOARD_REQUIRE_2FA = True
    response = viewer_client.get(path)
    assert response.status_code == 302
    assert response["Location"] == "/dashboard/2fa/setup/"


def test_require_2fa_lets_enrolled_and_verified_users_in(viewer_client, viewer, settings):
    settings.DASHBOARD_REQUIRE_2FA = True
    _enrol(viewer_client, viewer)  # setup logs the device in for this session
    assert viewer_client.get("/dashboard/").status_code == 200


def test_recovery_codes_can_be_replaced(viewer_client, viewer):
    old = _enrol(viewer_client, viewer)
    response = viewer_client.post("/dashboard/2fa/recovery-codes/")
    new = re.findall(r"<code>(\w+)</code>", response.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    assert StaticToken.objects.filter(device__user=viewer).count() == 10


def test_authenticator_label_names_the_page(viewer_client, viewer, page):
    viewer_client.get("/dashboard/2fa/setup/")
    url = TOTPDevice.objects.get(user=viewer).config_url
    assert url.startswith("otpauth://totp/")
    assert f"issuer={page.name.replace(' ', '%20')}%20status%20dashboard" in url


def test_wrong_codes_slow_down_further_tries(viewer_client, viewer):
    _enrol(viewer_client, viewer)
    client = _sign_in("vera")
    client.post("/dashboard/2fa/verify/", {"token": "000000"})
    device = TOTPDevice.objects.get(user=viewer)
    # django-otp's throttle: after a failure even the right code waits (1s, 2s, 4s, ...).
    response = client.post("/dashboard/2fa/verify/", {"token": _code(device, drift=1)})
    assert response.status_code == 200
    assert client.get("/dashboard/").status_code == 302


def test_wrong_codes_count_toward_the_sign_in_lockout(viewer_client, viewer, settings, clock):
    """A stolen password must not buy unlimited code guesses: wrong codes lock the account and
    the address like wrong passwords, and then even the right code is refused."""
    settings.DASHBOARD_LOGIN_FAILURE_LIMIT = 3
    _enrol(viewer_client, viewer)
    client = _sign_in("vera")
    for _ in range(3):
        clock.shift(60)  # past django-otp's own growing delay, so only our lockout decides
        client.post("/dashboard/2fa/verify/", {"token": "000000"}, REMOTE_ADDR="10.1.1.1")
    clock.shift(60)
    device = TOTPDevice.objects.get(user=viewer)
    response = client.post(
        "/dashboard/2fa/verify/", {"token": _code(device, drift=2)}, REMOTE_ADDR="10.1.1.1"
    )
    assert b"Too many failed sign-in attempts" in response.content
    assert client.get("/dashboard/").status_code == 302
    # The account is locked at the password step too.
    response = Client().post(
        "/dashboard/login/", {"username": "vera", "password": PASSWORD}, REMOTE_ADDR="10.9.9.9"
    )
    assert b"Too many failed sign-in attempts" in response.content
