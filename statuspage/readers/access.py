"""Who reads a page that is not public: the session entry every sign-in method writes
(CONTRACT: request.session["reader_access"][str(page_id)]), and the IP allowlist, which needs
no session."""

from __future__ import annotations

import ipaddress
from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from notifications.ratelimit import client_address
from statuspage.readers import selectors

SESSION_KEY = "reader_access"
METHODS = ("password", "magic_link", "oidc", "ip")


def grant(
    request: HttpRequest,
    page_id: int,
    *,
    identity: str,
    method: str,
    claims: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Record `identity` as a signed-in reader of the page, and cycle the session key (a
    session id known before the sign-in does not carry it)."""
    if method not in METHODS:
        raise ValueError(f"unknown sign-in method {method!r}")
    entry = {
        "identity": identity.lower() if "@" in identity else identity,
        "method": method,
        "claims": dict(claims or {}),
        "at": timezone.now().isoformat(),
        # The page's sign-in epoch: a changed password signs out everyone signed in before.
        "epoch": selectors.epoch_of(page_id),
    }
    readers = dict(request.session.get(SESSION_KEY) or {})
    readers[str(page_id)] = entry
    request.session.cycle_key()
    request.session[SESSION_KEY] = readers
    return entry


def revoke(request: HttpRequest, page_id: int) -> None:
    """Sign the request's reader out of the page (other pages' sign-ins stay)."""
    readers = dict(request.session.get(SESSION_KEY) or {})
    if readers.pop(str(page_id), None) is not None:
        request.session[SESSION_KEY] = readers
        request.session.cycle_key()


def reader_for(request: HttpRequest, page_id: int) -> dict[str, Any] | None:
    """The page's signed-in reader for this request, or None: the session's entry while the
    page's epoch is the one it was granted at, else a reader by the IP allowlist. One query."""
    row = selectors.settings_of(page_id)
    session = getattr(request, "session", None)
    entry = None
    if session is not None:
        entry = (session.get(SESSION_KEY) or {}).get(str(page_id))
    if isinstance(entry, dict) and entry.get("epoch", 0) == row.epoch:
        return entry
    try:
        networks = selectors.parse_networks(row.ip_allowlist)
    except ValueError:
        networks = []  # the form refuses bad lines; never widen access on garbage
    address = client_address(request)
    if address_allowed(networks, address):
        return {"identity": address, "method": "ip", "claims": {}, "at": timezone.now().isoformat()}
    return None


def address_allowed(
    networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network], address: str
) -> bool:
    if not networks:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip.version == net.version and ip in net for net in networks)
