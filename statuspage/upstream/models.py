"""Providers this install follows, which local component follows which upstream one, and the
upstream incidents mirrored as local ones."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from incidents.models import CheckedModel, page_field


class Provider(CheckedModel):
    """One upstream status page, polled every `interval_seconds` (with jitter; failures back
    off). `snapshot` is the last good answer, parsed ({"components": [...], "incidents":
    [...]}, see statuspage.upstream.parse): a 304 re-applies it, and so does a mapping change."""

    class Kind(models.TextChoices):
        STATUSPAGE = "statuspage", "Statuspage-compatible (summary.json)"
        FEED = "feed", "Atom/RSS feed"

    page = page_field("upstream_providers")
    name = models.CharField(max_length=120)
    # What the operator entered (the status page's address): shown and linked.
    page_url = models.URLField(max_length=500)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # What is polled: the summary.json or the feed.
    endpoint = models.URLField(max_length=500, unique=True)
    enabled = models.BooleanField(default=True)
    notify_subscribers = models.BooleanField(
        default=False,
        help_text="Subscribers hear of this provider's incidents and of mapped components' "
        "changes, as of this page's own.",
    )
    show_incidents = models.BooleanField(
        default=True,
        help_text="Mirror the provider's open incidents on this page (those touching a mapped "
        "component, or naming none).",
    )
    interval_seconds = models.PositiveIntegerField(default=300)
    etag = models.CharField(max_length=500, blank=True, default="")
    last_modified = models.CharField(max_length=100, blank=True, default="")
    snapshot = models.JSONField(default=dict, blank=True)
    next_poll_at = models.DateTimeField(default=timezone.now)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_ok_at = models.DateTimeField(null=True, blank=True)
    # Consecutive failed polls (0 after a good one): the backoff's exponent.
    failures = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True, default="")
    polls = models.PositiveIntegerField(default=0)
    not_modified = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(interval_seconds__gte=60), name="upstream_interval_min_60"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ComponentLink(CheckedModel):
    """A local component that follows one upstream component. `last_status` is the upstream
    status last applied: a poll changes the component only when the upstream status changes, so
    a status an operator sets by hand stands until the provider's next change."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="links")
    upstream_id = models.CharField(max_length=100)
    upstream_name = models.CharField(max_length=200)
    component = models.OneToOneField(
        "incidents.Component", on_delete=models.CASCADE, related_name="upstream_link"
    )
    last_status = models.CharField(max_length=24, blank=True, default="")

    class Meta:
        ordering = ["upstream_name", "id"]

    def __str__(self) -> str:
        return f"{self.provider} / {self.upstream_name}"


class MirroredIncident(CheckedModel):
    """An upstream incident and the local incident that mirrors it. The incident is None once
    an operator deleted it: it is then not mirrored again."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="incidents")
    upstream_id = models.CharField(max_length=200)
    incident = models.OneToOneField(
        "incidents.Incident",
        null=True,
        on_delete=models.SET_NULL,
        related_name="upstream_source",
    )
    link = models.URLField(max_length=500, blank=True, default="")
    # The upstream incident's last update time and status as last mirrored (changes post an
    # update here).
    upstream_updated = models.CharField(max_length=64, blank=True, default="")
    upstream_status = models.CharField(max_length=24, blank=True, default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "upstream_id"], name="upstream_incident_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} / {self.upstream_id}"
