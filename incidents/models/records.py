"""The audit trail and the public change log."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from incidents.models.pages import page_field


class AuditEntry(models.Model):
    """Who did what to which object, from where, with the state before and after."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.CharField(max_length=200)
    via = models.CharField(max_length=16)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=32)
    object_id = models.CharField(max_length=32)
    object_repr = models.CharField(max_length=200)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    # The page the changed object belongs to; None for what belongs to no page (operators,
    # API keys), shown only to operators with an install-wide role.
    page = models.ForeignKey(
        "incidents.Page", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.actor} {self.action} {self.object_type} {self.object_repr}"


class PublicChange(models.Model):
    """What the public change that made one generation touched: the objects whose documents
    it changed. Written with the generation bump (services.common.public_changed), read by the
    publisher to render only the documents a change touches. `touched` is None when the write
    did not say (page settings, component layout): then every document is rendered.

    A bounded log (the newest PUBLIC_CHANGES_KEPT rows): a publisher further behind renders
    everything, which is always correct."""

    page = page_field("public_changes")
    generation = models.BigIntegerField()
    # {"incidents": [public ids], "maintenance": [...], "components": [...],
    #  "listings": bool (items may move between listing pages)}
    touched = models.JSONField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["page", "generation"], name="public_change_generation_per_page"
            )
        ]

    def __str__(self) -> str:
        return f"generation {self.generation}"
