"""One HTTPS target whose certificate is switched while it runs (tests/monitors/tlsswitch.py):
the component follows the certificate through the runner, valid -> about to expire (degraded)
-> expired (down) -> valid again (operational). On the machine's clock: OpenSSL judges
certificates by it, so each run is given its own slot rather than a frozen instant."""

from __future__ import annotations

import ssl
from datetime import timedelta

import pytest
from django.utils import timezone

from statuspage.monitors.checks import http as http_check
from statuspage.monitors.models import MonitorResult
from statuspage.monitors.runner import run_due

from .conftest import status_of
from .tlsswitch import SwitchableTlsTarget

pytestmark = [pytest.mark.django_db, pytest.mark.real_clock]


@pytest.fixture
def switchable(tmp_path, monkeypatch):
    target = SwitchableTlsTarget(tmp_path, days_left=365)
    # The checks trust the test CA alone.
    monkeypatch.setattr(http_check, "_TLS", ssl.create_default_context(cafile=str(target.ca_path)))
    yield target
    target.close()


def test_the_component_follows_a_certificate_switched_on_the_same_port(
    switchable, make_monitor, api
):
    make_monitor(
        kind="http",
        url=switchable.url(),
        tls_expiry_warning_days=14,
        failures_before_down=1,
        successes_before_up=1,
    )
    start = timezone.now()
    slots = iter(range(100))

    def check() -> MonitorResult:
        report = run_due(region="default", now=start + timedelta(seconds=60 * next(slots)))
        assert report.checked == 1
        return MonitorResult.objects.first()

    result = check()
    assert (result.ok, result.degraded, result.detail) == (True, False, "HTTP 200")
    assert status_of(api) == "operational"

    switchable.switch(days_left=5)
    result = check()
    assert (result.ok, result.degraded) == (True, True)
    assert "TLS certificate expires on" in result.detail
    assert status_of(api) == "degraded_performance"

    switchable.switch(days_left=-1)
    result = check()
    assert not result.ok
    assert result.detail.startswith("TLS certificate not valid: certificate has expired")
    assert status_of(api) == "major_outage"

    switchable.switch(days_left=365)
    result = check()
    assert (result.ok, result.degraded, result.detail) == (True, False, "HTTP 200")
    assert status_of(api) == "operational"
    # One server, one port all along.
    assert switchable.server.behaviour.hits == 3


def test_monitor_ca_file_adds_an_internal_ca_to_the_systems(
    tmp_path, settings, monkeypatch, make_monitor
):
    target = SwitchableTlsTarget(tmp_path)
    try:
        make_monitor(kind="http", url=target.url())
        monkeypatch.setattr(http_check, "_TLS", None)  # built afresh from the settings
        settings.MONITOR_CA_FILE = ""
        now = timezone.now()
        run_due(region="default", now=now)
        assert MonitorResult.objects.first().detail.startswith("TLS certificate not valid")
        monkeypatch.setattr(http_check, "_TLS", None)
        settings.MONITOR_CA_FILE = str(target.ca_path)
        run_due(region="default", now=now + timedelta(seconds=60))
        assert MonitorResult.objects.first().detail == "HTTP 200"
    finally:
        target.close()
