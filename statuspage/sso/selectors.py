"""Reads of the readers' single sign-on settings."""

from __future__ import annotations

from statuspage.sso.models import OidcProvider


def provider_for_page(page_id: int) -> OidcProvider | None:
    """The page's enabled OpenID Connect provider, or None (no "Sign in with ..." button)."""
    return OidcProvider.objects.filter(page_id=page_id, enabled=True).first()


def provider_settings(page_id: int) -> OidcProvider | None:
    """The page's provider settings, enabled or not (the dashboard's form)."""
    return OidcProvider.objects.filter(page_id=page_id).first()
