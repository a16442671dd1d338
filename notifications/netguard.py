"""SSRF guard: which resolved addresses a webhook may connect to.

Checked on the address actually connected to (after DNS), not on the URL text, so a public
hostname resolving to 10.0.0.5 or ::ffff:127.0.0.1 is refused as well.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from typing import TypeAlias

from django.conf import settings

BLOCKED_NETWORKS = [
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "10.0.0.0/8",
        "100.64.0.0/10",  # CGNAT
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local, incl. cloud metadata 169.254.169.254
        "172.16.0.0/12",
        "192.0.0.0/24",
        "192.168.0.0/16",
        "198.18.0.0/15",
        "224.0.0.0/4",
        "240.0.0.0/4",
        "::/128",
        "::1/128",
        # IPv4-compatible addresses (::a.b.c.d, deprecated by RFC 4291): some stacks still
        # route ::127.0.0.1 to the embedded address, so none is public.
        "::/96",
        # NAT64 64:ff9b::/96 is judged by the IPv4 address it embeds (see _embedded_v4).
        "64:ff9b:1::/48",
        "fc00::/7",  # unique-local
        "fe80::/10",
        "ff00::/8",
        "fd00:ec2::254/128",  # AWS metadata over IPv6 (also inside fc00::/7)
    )
]


class BlockedAddress(Exception):
    pass


# One getaddrinfo result: family, type, protocol, canonical name, socket address.
AddrInfo: TypeAlias = tuple[
    socket.AddressFamily,
    socket.SocketKind,
    int,
    str,
    tuple[str, int] | tuple[str, int, int, int] | tuple[int, bytes],
]


def _embedded_v4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped:
        return ip.ipv4_mapped
    if ip in ipaddress.ip_network("64:ff9b::/96"):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour:
        return ip.sixtofour
    return None


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if any(ip in net for net in BLOCKED_NETWORKS if net.version == ip.version):
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_v4(ip)
        if inner is not None:
            return is_public(str(inner))
    return ip.is_global


def _is_public_ip(host: str | int) -> bool:
    # Without IPv6 support in Python, an AF_INET6 address comes as (int, bytes): never public.
    return isinstance(host, str) and is_public(host)


def resolve_allowed(host: str, port: int) -> Sequence[AddrInfo]:
    """getaddrinfo results the guard lets through; raises BlockedAddress if none."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise OSError(f"Could not resolve {host}") from exc
    if settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES:
        return infos
    allowed: list[AddrInfo] = [info for info in infos if _is_public_ip(info[4][0])]
    if not allowed:
        raise BlockedAddress(f"{host} resolves to a private or reserved address")
    return allowed
