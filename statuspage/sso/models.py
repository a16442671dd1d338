"""A page's OpenID Connect provider: where its readers sign in, and who may."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from incidents.models import Page
from incidents.models.base import CheckedModel


class OidcProvider(CheckedModel):
    page = models.OneToOneField(Page, on_delete=models.CASCADE, related_name="oidc_provider")
    enabled = models.BooleanField(default=True)
    # Shown on the sign-in button: "Sign in with <display name>".
    display_name = models.CharField(max_length=80)
    # The issuer exactly as the provider's discovery document and ID tokens name it.
    issuer = models.URLField(max_length=500)
    client_id = models.CharField(max_length=255)
    client_secret = models.CharField(max_length=500)
    scopes = models.CharField(max_length=300, default="openid email profile")
    # Email domains allowed in (space separated, e.g. "example.com example.org"); empty: any.
    allowed_domains = models.CharField(max_length=1000, blank=True, default="")
    # A claim the ID token must carry with this value (or, for a list claim such as `groups`,
    # contain it); empty name: no such rule.
    required_claim = models.CharField(max_length=100, blank=True, default="")
    required_value = models.CharField(max_length=200, blank=True, default="")
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.display_name} ({self.issuer})"

    @property
    def domain_list(self) -> list[str]:
        return [d.lower().lstrip("@") for d in self.allowed_domains.replace(",", " ").split()]

    @property
    def scope_list(self) -> list[str]:
        scopes = self.scopes.split()
        return scopes if "openid" in scopes else ["openid", *scopes]
