"""Who may read the page once the provider vouched for them: the allowed email domains and
the required claim, both optional, both required when set."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_noop

from statuspage.sso.models import OidcProvider


def verified_email(claims: dict[str, Any]) -> str | None:
    """The lowercased email, unless the provider says it is not verified."""
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email or claims.get("email_verified") is False:
        return None
    return email.strip().lower()


def refusal(provider: OidcProvider, claims: dict[str, Any]) -> str | None:
    """Why these claims may not read the page, or None when they may."""
    domains = provider.domain_list
    if domains:
        email = verified_email(claims)
        if email is None:
            return gettext_noop(
                "The provider gave no verified email address, and this page needs one."
            )
        if email.rsplit("@", 1)[1] not in domains:
            return gettext_noop("Your email address is not in a domain allowed to read this page.")
    if provider.required_claim:
        value = claims.get(provider.required_claim)
        wanted = provider.required_value
        held = value if isinstance(value, list) else [value]
        if wanted not in [str(v) for v in held if v is not None]:
            return gettext_noop("Your account is not in the group allowed to read this page.")
    return None


def identity(claims: dict[str, Any]) -> str:
    email = verified_email(claims)
    return email if email else f"oidc:{claims['iss']}|{claims['sub']}"
