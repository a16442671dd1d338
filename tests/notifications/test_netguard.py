"""The SSRF guard's whole table: every network it refuses, at its ends and in the middle, and
every blocked IPv4 address in each IPv6 form that embeds it (mapped, NAT64, 6to4 and the
deprecated IPv4-compatible ::a.b.c.d)."""

from __future__ import annotations

import ipaddress

import pytest

from notifications.models import Subscriber
from notifications.netguard import BLOCKED_NETWORKS, is_public
from notifications.services import SubscribeError
from notifications.services.subscriptions import subscriber_subscribe


def _samples(net) -> list:
    return [
        net.network_address,
        net.network_address + net.num_addresses // 2,
        net.broadcast_address,
    ]


def _embeddings(v4: ipaddress.IPv4Address) -> list[str]:
    n = int(v4)
    return [
        f"::ffff:{v4}",  # IPv4-mapped
        str(ipaddress.IPv6Address((0x64FF9B << 96) | n)),  # NAT64 64:ff9b::/96
        str(ipaddress.IPv6Address((0x2002 << 112) | (n << 80))),  # 6to4 2002:aabb:ccdd::
        f"::{v4}",  # IPv4-compatible ::/96
    ]


BLOCKED = [str(ip) for net in BLOCKED_NETWORKS for ip in _samples(net)]
EMBEDDED = [
    form
    for net in BLOCKED_NETWORKS
    if net.version == 4
    for ip in _samples(net)
    for form in _embeddings(ip)
]


@pytest.mark.parametrize("address", BLOCKED)
def test_every_blocked_network_is_refused_at_both_ends_and_inside(address):
    assert not is_public(address)


@pytest.mark.parametrize("address", EMBEDDED)
def test_a_blocked_ipv4_address_is_refused_in_every_ipv6_form(address):
    assert not is_public(address)


@pytest.mark.parametrize("address", ["::127.0.0.1", "::169.254.169.254", "::10.0.0.1", "::8.8.8.8"])
def test_ipv4_compatible_addresses_are_refused(address):
    assert not is_public(address)


@pytest.mark.parametrize(
    "address",
    ["93.184.215.14", "8.8.8.8", "2606:4700::1111", "64:ff9b::808:808", "2002:808:808::"],
)
def test_public_addresses_are_allowed(address):
    assert is_public(address)


def test_the_table_covers_loopback_metadata_and_private_ranges():
    """Guard against a shrunken table: these must stay in it."""
    for must in ("127.0.0.0/8", "169.254.0.0/16", "10.0.0.0/8", "::/96", "fc00::/7", "fe80::/10"):
        assert ipaddress.ip_network(must) in BLOCKED_NETWORKS


@pytest.mark.parametrize("host", ["[::127.0.0.1]", "[::169.254.169.254]", "[::ffff:10.0.0.1]"])
def test_subscribing_a_url_with_a_private_literal_is_refused(db, settings, host):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    with pytest.raises(SubscribeError):
        subscriber_subscribe(channel="webhook", address=f"https://{host}/hook")
    assert not Subscriber.objects.exists()
