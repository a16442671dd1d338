"""SSRF stays shut: by default monitors reach only public addresses, judged on the address
connected to (names and redirects included); MONITOR_ALLOWED_NETWORKS opens named networks."""

from __future__ import annotations

import pytest

from statuspage.monitors.models import MonitorResult
from statuspage.monitors.netguard import may_connect

from .conftest import Target

pytestmark = pytest.mark.django_db

REFUSED = "resolves to a private or reserved address"


@pytest.fixture
def default_guard(settings):
    settings.MONITOR_ALLOWED_NETWORKS = []


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.8.9.10",
        "10.0.0.5",
        "172.16.3.4",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",  # noqa: S104 - an address judged, never bound
        "224.0.0.1",
        "240.0.0.1",
        "::1",
        "fe80::1",
        "fd00::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "64:ff9b::a00:5",
    ],
)
def test_the_default_refuses_loopback_private_link_local_multicast_reserved(default_guard, address):
    assert not may_connect(address)


def test_the_default_lets_public_addresses_through(default_guard):
    assert may_connect("93.184.216.34")
    assert may_connect("2606:4700::6810:84e5")


def test_allowed_networks_open_only_what_they_name(settings):
    settings.MONITOR_ALLOWED_NETWORKS = ["10.1.0.0/16"]
    assert may_connect("10.1.2.3")
    assert not may_connect("10.2.0.1")
    assert not may_connect("127.0.0.1")


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_an_http_monitor_on_loopback_is_refused_before_connecting(
    default_guard, target, make_monitor, tick, host
):
    make_monitor(kind="http", url=f"http://{host}:{target.port}/health")
    tick()
    result = MonitorResult.objects.get()
    assert not result.ok and REFUSED in result.detail
    assert target.behaviour.hits == 0


def test_a_tcp_monitor_on_loopback_is_refused(default_guard, listener, make_monitor, tick):
    make_monitor(kind="tcp", host="127.0.0.1", port=listener.getsockname()[1])
    tick()
    assert REFUSED in MonitorResult.objects.get().detail


def test_a_redirect_to_a_network_not_allowed_is_refused(settings, make_monitor, tick):
    allowed, inner = Target("127.0.0.1"), Target("127.0.0.2")
    try:
        settings.MONITOR_ALLOWED_NETWORKS = ["127.0.0.1/32"]
        allowed.paths["/go"] = type(allowed.behaviour)(
            status=302, headers={"Location": inner.url("/secret")}
        )
        make_monitor(kind="http", url=allowed.url("/go"))
        tick()
        result = MonitorResult.objects.get()
        assert not result.ok and REFUSED in result.detail
        assert allowed.paths["/go"].hits == 1
        assert inner.behaviour.hits == 0
    finally:
        allowed.close()
        inner.close()
