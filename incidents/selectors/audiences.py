"""Which audience a signed-in reader of an audience-specific page belongs to (docs/pages.md,
"Audiences").

The reader is the session entry the sign-in writes (`identity`, `method`, `claims`, `at`): the
rules read its identity (a lowercased address, or "oidc:<issuer>|<sub>") and its OpenID
Connect claims, never anything the reader types on the page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch

from incidents.models import Audience, Component


@dataclass(frozen=True)
class AudienceRule:
    """An audience as the read path needs it: its rules and the components it sees."""

    id: int
    name: str
    slug: str
    component_ids: frozenset[int]
    component_public_ids: frozenset[str]
    emails: frozenset[str]
    domains: frozenset[str]
    claim_name: str
    claim_value: str
    members: frozenset[str]

    def admits(self, entry: Mapping[str, Any]) -> bool:
        identity = str(entry.get("identity") or "").strip().lower()
        if identity and identity in self.members:
            return True
        claims = entry.get("claims") or {}
        # An address is the identity, or the claim `email` when the provider gave one that it
        # says it verified (an unverified address names nobody).
        addresses = {identity} if "@" in identity and not identity.startswith("oidc:") else set()
        email = claims.get("email") if isinstance(claims, Mapping) else None
        if isinstance(email, str) and claims.get("email_verified", True) is not False:
            addresses.add(email.strip().lower())
        for address in addresses:
            if address in self.emails or address.rpartition("@")[2] in self.domains:
                return True
        if self.claim_name and self.claim_value and isinstance(claims, Mapping):
            value = claims.get(self.claim_name)
            if isinstance(value, list):
                return self.claim_value in [str(v) for v in value]
            return value is not None and str(value) == self.claim_value
        return False


def audiences_of(page_id: int) -> list[AudienceRule]:
    """Every audience of the page with its component ids, in order: two queries, whatever the
    number of audiences or components."""
    rows = (
        Audience.objects.filter(page_id=page_id)
        .order_by("position", "id")
        .prefetch_related(
            Prefetch("components", queryset=Component.objects.only("id", "public_id"))
        )
    )
    return [
        AudienceRule(
            id=a.id,
            name=a.name,
            slug=a.slug,
            component_ids=frozenset(c.id for c in a.components.all()),
            component_public_ids=frozenset(c.public_id for c in a.components.all()),
            emails=frozenset(str(e).lower() for e in a.emails),
            domains=frozenset(str(d).lower().lstrip("@") for d in a.domains),
            claim_name=a.claim_name,
            claim_value=a.claim_value,
            members=frozenset(str(m).strip().lower() for m in a.members),
        )
        for a in rows
    ]


def audience_among(
    rules: list[AudienceRule], reader_entry: Mapping[str, Any] | None
) -> AudienceRule | None:
    """The first of `rules` that admits the reader (None: no reader, or no audience)."""
    if not reader_entry:
        return None
    return next((rule for rule in rules if rule.admits(reader_entry)), None)


def audience_for(page_id: int, reader_entry: Mapping[str, Any] | None) -> AudienceRule | None:
    """The audience of the page the signed-in reader belongs to, or None (two queries)."""
    if not reader_entry:
        return None
    return audience_among(audiences_of(page_id), reader_entry)
