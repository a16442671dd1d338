"""Operators' roles and management API keys.

A key is long and random (so a fast hash is the right tool, unlike passwords): it is stored as
a SHA-256 digest, shown once, and found by its prefix, stored in clear so operators can tell
keys apart and the lookup is one indexed query.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from incidents.models import CheckedModel, Page


class Role(models.TextChoices):
    # Ordered from least to most powerful; `Role.rank` relies on this order.
    VIEWER = "viewer", "Viewer (read only)"
    RESPONDER = "responder", "Responder (incidents, maintenance, component statuses)"
    ADMIN = "admin", "Admin (components, groups, page settings, users)"

    @property
    def rank(self) -> int:
        return list(Role).index(self)


class Membership(models.Model):
    """An operator's install-wide role: it applies on every page. Superusers are admins and
    owners whether or not they have one. A user with neither this nor a PageMembership can
    neither open the dashboard nor use an API key."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="dashboard_membership"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)
    # Owners manage the install's pages (edit any page's settings, hosts and visibility) and
    # give operators their roles on each page. An owner is an admin on every page.
    owner = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.user} ({self.role})"


class PageMembership(CheckedModel):
    """An operator's role on one page (admin on one, viewer on another). Where the operator
    also has an install-wide Membership, the higher of the two roles counts."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="page_memberships"
    )
    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["page_id", "user_id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "page"], name="page_membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} on {self.page_id} ({self.role})"


class Scope(models.TextChoices):
    READ = "read", "Read everything"
    INCIDENTS = "incidents:write", "Incidents, maintenance and component statuses"
    COMPONENTS = "components:write", "Components, groups and incident templates"
    SUBSCRIBERS = "subscribers:write", "Subscribers"


class ApiKey(CheckedModel):
    name = models.CharField(max_length=100)
    # What the key may do; the owner's role caps it at every request, so a key never outlives
    # a demotion or a removed account.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys"
    )
    scopes = models.JSONField(default=list)
    # The pages the key may see: every page (all_pages) or the listed ones. Either way its
    # owner's role on a page caps it there, so a key never reaches a page its owner cannot.
    all_pages = models.BooleanField(default=False)
    pages = models.ManyToManyField(Page, blank=True, related_name="api_keys")
    prefix = models.CharField(max_length=8, unique=True, editable=False)
    digest = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def active(self) -> bool:
        return self.revoked_at is None
