"""Where monitors may connect: public addresses, plus the private networks the install names
in MONITOR_ALLOWED_NETWORKS (empty by default). Judged on the address actually connected to,
after DNS and at connect time (a name that resolved to a public address when the monitor was
saved may point at 10.0.0.5 now), and for every redirect of an HTTP check as well.

The public/private judgement is the webhooks' (notifications/netguard.py: mapped, NAT64 and
6to4 addresses are judged by the IPv4 address inside)."""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import socket
from dataclasses import dataclass

from django.conf import settings

from notifications.netguard import is_public


class Refused(Exception):
    """The target resolves only to addresses monitors may not reach."""


@functools.cache
def _networks(
    setting: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(n, strict=False) for n in setting)


def allowed_networks() -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return _networks(tuple(settings.MONITOR_ALLOWED_NETWORKS))


def may_connect(address: str) -> bool:
    """Public, or inside a network the install allowed."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if any(ip in net for net in allowed_networks() if net.version == ip.version):
        return True
    return is_public(str(ip))


@dataclass(frozen=True)
class Target:
    family: int
    sockaddr: tuple


async def resolve(host: str, port: int) -> list[Target]:
    """The addresses of `host` monitors may connect to, in resolver order; raises Refused when
    it has addresses but none is allowed, OSError when it does not resolve."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise OSError(f"{host} does not resolve ({exc.strerror})") from exc
    allowed = [
        Target(family=family, sockaddr=sockaddr)
        for family, _type, _proto, _name, sockaddr in infos
        if isinstance(sockaddr[0], str) and may_connect(sockaddr[0])
    ]
    if not allowed:
        raise Refused(
            f"{host} resolves to a private or reserved address "
            "(MONITOR_ALLOWED_NETWORKS does not allow it)"
        )
    return allowed


async def connect(host: str, port: int, timeout: float) -> socket.socket:
    """A connected non-blocking socket to an allowed address of `host`: the address checked is
    the one connected to, so DNS rebinding between two lookups gains nothing."""
    loop = asyncio.get_running_loop()
    last: OSError | None = None
    for target in await resolve(host, port):
        sock = socket.socket(target.family, socket.SOCK_STREAM)
        sock.setblocking(False)
        try:
            async with asyncio.timeout(timeout):
                await loop.sock_connect(sock, target.sockaddr)
        except TimeoutError:
            sock.close()
            last = TimeoutError(f"connecting to {host}:{port} timed out")
            continue
        except OSError as exc:
            sock.close()
            last = exc
            continue
        except BaseException:
            sock.close()
            raise
        return sock
    raise last or OSError(f"no address of {host} to connect to")
