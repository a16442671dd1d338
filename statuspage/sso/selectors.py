"""Reads of the readers' single sign-on settings."""

from __future__ import annotations

from statuspage.readers.providers import ProviderLink
from statuspage.sso.models import OidcProvider


def provider_for_page(page_id: int) -> OidcProvider | None:
    """The page's enabled OpenID Connect provider, or None (no "Sign in with ..." button)."""
    return OidcProvider.objects.filter(page_id=page_id, enabled=True).first()


def provider_settings(page_id: int) -> OidcProvider | None:
    """The page's provider settings, enabled or not (the dashboard's form)."""
    return OidcProvider.objects.filter(page_id=page_id).first()


def sign_in_link(page_id: int) -> ProviderLink | None:
    """The sign-in page's "Sign in with ..." entry for the page, if it has a provider."""
    provider = provider_for_page(page_id)
    if provider is None:
        return None
    return ProviderLink(display_name=provider.display_name, url_name="reader-oidc-start")
