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
