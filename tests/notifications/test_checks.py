"""System checks: the SSRF guard switched off on a production server is reported."""

from __future__ import annotations

import secrets
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core.checks import Tags, run_checks

from notifications.checks import PRIVATE_ADDRESSES_ON


def _ids(**kwargs):
    return [message.id for message in run_checks(tags=[Tags.security], **kwargs)]


@pytest.mark.parametrize(
    ("debug", "allow", "reported"),
    [(False, True, True), (True, True, False), (False, False, False), (True, False, False)],
)
def test_private_webhook_targets_are_reported_only_with_debug_off(settings, debug, allow, reported):
    settings.DEBUG = debug
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = allow
    assert (PRIVATE_ADDRESSES_ON in _ids()) is reported


def test_the_warning_names_the_setting_and_what_it_allows(settings):
    settings.DEBUG = False
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    [warning] = [m for m in run_checks(tags=[Tags.security]) if m.id == PRIVATE_ADDRESSES_ON]
    assert warning.is_serious() is False  # a warning, not an error
    assert "WEBHOOK_ALLOW_PRIVATE_ADDRESSES" in warning.msg and "metadata" in warning.msg
    assert "Unset WEBHOOK_ALLOW_PRIVATE_ADDRESSES" in warning.hint


def _check_deploy(**extra):
    env = {
        "PATH": "/usr/bin:/bin",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "HTTPS": "true",
        "ALLOWED_HOSTS": "status.example.com",
        "DATA_DIR": "/tmp/sp-deploy-check",
        **extra,
    }
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_check_deploy_fails_on_production_settings_that_allow_private_targets():
    on = _check_deploy(WEBHOOK_ALLOW_PRIVATE_ADDRESSES="true")
    assert on.returncode != 0
    assert PRIVATE_ADDRESSES_ON in on.stderr
    off = _check_deploy(WEBHOOK_ALLOW_PRIVATE_ADDRESSES="false")
    assert off.returncode == 0, off.stderr
