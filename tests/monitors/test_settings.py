"""MONITOR_ALLOWED_NETWORKS is parsed strictly: a malformed network stops start-up."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from statuspage.env import Env


def test_networks_are_checked_cidr_lists():
    env = Env({"MONITOR_ALLOWED_NETWORKS": "10.0.0.0/8, fd00::/8"})
    assert env.networks("MONITOR_ALLOWED_NETWORKS", []) == ["10.0.0.0/8", "fd00::/8"]
    assert Env({}).networks("MONITOR_ALLOWED_NETWORKS", []) == []
    with pytest.raises(ImproperlyConfigured, match="'10.0.0/33' is not a network"):
        Env({"MONITOR_ALLOWED_NETWORKS": "10.0.0/33"}).networks("MONITOR_ALLOWED_NETWORKS", [])


def test_the_default_allows_no_private_network():
    from django.conf import settings as django_settings

    # tests/monitors/conftest.py allows loopback per test; the setting itself starts empty.
    import statuspage.settings as module

    assert module.MONITOR_ALLOWED_NETWORKS == []
    assert django_settings.MONITOR_REGIONS  # at least the home region


def test_a_missing_monitor_ca_file_stops_start_up(tmp_path):
    import subprocess
    import sys

    from django.conf import settings

    env = {"SECRET_KEY": "x", "MONITOR_CA_FILE": str(tmp_path / "nope.pem"), "PATH": "/usr/bin"}
    done = subprocess.run(  # noqa: S603 - our own interpreter and settings
        [
            sys.executable,
            "-c",
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']="
            "'statuspage.settings'; django.setup()",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    assert "MONITOR_CA_FILE=" in done.stderr and "is not a file" in done.stderr
