"""Audiences of an audience-specific page: who sees which components (docs/pages.md,
"Audiences")."""

from __future__ import annotations

from django.db import models

from incidents.models.base import PublicIdModel
from incidents.models.components import Component
from incidents.models.pages import Page


class Audience(PublicIdModel):
    """A set of readers of a page and the components they see. A signed-in reader belongs to
    the first audience (by position, then id) whose rules match their sign-in: an address in
    `emails`, a domain in `domains`, the OpenID Connect claim `claim_name` equal to (or, for a
    list claim such as groups, containing) `claim_value`, or an identity in `members` (the
    admin's explicit list)."""

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="audiences")
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=50)
    position = models.PositiveIntegerField(default=0)
    components = models.ManyToManyField(Component, blank=True, related_name="audiences")
    # Lowercased email addresses and domains ("example.com", without "@").
    emails = models.JSONField(default=list, blank=True)
    domains = models.JSONField(default=list, blank=True)
    claim_name = models.CharField(max_length=64, blank=True, default="")
    claim_value = models.CharField(max_length=200, blank=True, default="")
    # Identities as the sign-in records them (an address, or "oidc:<issuer>|<sub>").
    members = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ("position", "id")
        constraints = [
            models.UniqueConstraint(fields=["page", "slug"], name="audience_slug_per_page"),
        ]

    def __str__(self) -> str:
        return self.name
