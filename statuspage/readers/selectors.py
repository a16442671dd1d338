"""Reads of the readers' settings."""

from __future__ import annotations

import ipaddress

from statuspage.readers.models import ReaderSettings


def settings_of(page_id: int) -> ReaderSettings:
    """The page's sign-in settings (an unsaved empty row when none were saved)."""
    row = ReaderSettings.objects.filter(page_id=page_id).first()
    return row if row is not None else ReaderSettings(page_id=page_id)


def epoch_of(page_id: int) -> int:
    value = ReaderSettings.objects.filter(page_id=page_id).values_list("epoch", flat=True).first()
    return value or 0


def parse_networks(text: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """The CIDR lines of an allowlist. Raises ValueError naming the first bad line."""
    networks = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            networks.append(ipaddress.ip_network(line, strict=False))
        except ValueError:
            raise ValueError(f"{line!r} is not an address or a CIDR range.") from None
    return networks


def ip_allowlist(page_id: int) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    text = (
        ReaderSettings.objects.filter(page_id=page_id)
        .values_list("ip_allowlist", flat=True)
        .first()
    )
    try:
        return parse_networks(text or "")
    except ValueError:
        return []  # saved through the form, which refuses bad lines; never widen on garbage


def magic_link_rules(page_id: int) -> list[str]:
    text = (
        ReaderSettings.objects.filter(page_id=page_id)
        .values_list("magic_link_allowed", flat=True)
        .first()
    )
    return [line.strip().lower() for line in (text or "").splitlines() if line.strip()]


def email_allowed(rules: list[str], email: str) -> bool:
    """An address is allowed when it is listed, or its domain is (`@example.com` or
    `example.com`); subdomains are not implied."""
    email = email.strip().lower()
    if "@" not in email:
        return False
    domain = email.rsplit("@", 1)[1]
    for rule in rules:
        if "@" in rule and not rule.startswith("@"):
            if rule == email:
                return True
        elif rule.lstrip("@") == domain:
            return True
    return False
