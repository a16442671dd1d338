"""Management API keys: stored as a SHA-256 digest, shown once, found by their prefix.

A key is long and random (so a fast hash is the right tool, unlike passwords); the prefix is
stored in clear so operators can tell keys apart and the lookup is one indexed query.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Scope(models.TextChoices):
    READ = "read", "Read everything"
    INCIDENTS = "incidents:write", "Incidents, maintenance and component statuses"
    COMPONENTS = "components:write", "Components, groups and incident templates"
    SUBSCRIBERS = "subscribers:write", "Subscribers"


class ApiKey(models.Model):
    name = models.CharField(max_length=100)
    # What the key may do; the owner's dashboard role caps it at every request, so a key never
    # outlives a demotion or a removed account.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys"
    )
    scopes = models.JSONField(default=list)
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
