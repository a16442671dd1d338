"""The poll's HTTP client against sockets that misbehave: refused, silent, redirecting in a
loop. Each is a short, human error."""

from __future__ import annotations

import socket
from ipaddress import ip_network

import pytest

from statuspage.upstream import fetch


@pytest.fixture
def loopback_allowed(settings):
    settings.UPSTREAM_ALLOWED_NETWORKS = [ip_network("127.0.0.0/8")]
    settings.UPSTREAM_TIMEOUT_SECONDS = 1


def test_a_refused_connection(loopback_allowed):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(fetch.FetchError, match="Connection failed"):
        fetch.get(f"http://127.0.0.1:{port}/api/v2/summary.json")


def test_a_silent_server_times_out(loopback_allowed):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        with pytest.raises(fetch.FetchError, match="Timed out"):
            fetch.get(f"http://127.0.0.1:{port}/api/v2/summary.json")


def test_a_redirect_loop_stops(loopback_allowed, provider_server):
    with pytest.raises(fetch.FetchError, match="Too many redirects"):
        fetch.get(provider_server.url + "/loop.json")
    assert len(provider_server.requests) == fetch.MAX_REDIRECTS + 1


def test_only_http_and_https():
    with pytest.raises(fetch.FetchError, match="Not an http"):
        fetch.get("file:///etc/passwd")


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("169.254.169.254", False),
        ("::ffff:127.0.0.1", False),
        ("140.82.112.3", True),
    ],
)
def test_addresses_by_default(address, allowed, settings):
    settings.UPSTREAM_ALLOWED_NETWORKS = []
    assert fetch.address_allowed(address) is allowed


def test_an_allowed_network_opens_only_itself(settings):
    settings.UPSTREAM_ALLOWED_NETWORKS = [ip_network("10.0.0.0/8")]
    assert fetch.address_allowed("10.1.2.3")
    assert not fetch.address_allowed("192.168.1.1")
