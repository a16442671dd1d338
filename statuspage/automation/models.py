"""Alert routes and what this install knows of each alert (automation from monitoring)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from incidents.models import CheckedModel, page_field


class AlertRoute(CheckedModel):
    """One rule of "automation from monitoring": alerts whose labels match drive components.

    Routes are tried in `position` order; the first that matches an alert decides what it does.
    `matchers` is a list of `{"label", "op", "value"}` with Alertmanager's operators
    (`=`, `!=`, `=~`, `!~`; regular expressions are anchored at both ends). No matchers: every
    alert matches.
    """

    class FiringStatus(models.TextChoices):
        DEGRADED_PERFORMANCE = "degraded_performance", "Degraded performance"
        PARTIAL_OUTAGE = "partial_outage", "Partial outage"
        MAJOR_OUTAGE = "major_outage", "Major outage"

    class ImpactOverride(models.TextChoices):
        NONE = "none", "None"
        MINOR = "minor", "Minor"
        MAJOR = "major", "Major"
        CRITICAL = "critical", "Critical"

    page = page_field("alert_routes")
    name = models.CharField(max_length=100)
    position = models.PositiveIntegerField(default=0)
    enabled = models.BooleanField(default=True)
    matchers = models.JSONField(default=list, blank=True)
    components = models.ManyToManyField("incidents.Component", related_name="alert_routes")
    firing_status = models.CharField(
        max_length=32, choices=FiringStatus.choices, default=FiringStatus.MAJOR_OUTAGE
    )
    open_incident = models.BooleanField(default=False)
    # Rendered in the sandbox with the alert's labels and annotations; blank: the alertname.
    incident_name_template = models.CharField(max_length=300, blank=True)
    impact_override = models.CharField(
        max_length=16, choices=ImpactOverride.choices, blank=True, default=""
    )
    notify = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class AlertState(CheckedModel):
    """What this install knows of one alert (by fingerprint), so that the repeats Alertmanager
    sends every repeat_interval change nothing, and a resolution finds what the firing did.

    `group_hash` is the SHA-256 of Alertmanager's groupKey: one incident per (route, group).
    Alerts from the generic component hook use fingerprints `hook:<component public id>`."""

    class Status(models.TextChoices):
        FIRING = "firing", "Firing"
        RESOLVED = "resolved", "Resolved"

    fingerprint = models.CharField(max_length=100, unique=True)
    route = models.ForeignKey(
        AlertRoute, on_delete=models.SET_NULL, null=True, blank=True, related_name="states"
    )
    group_hash = models.CharField(max_length=64, db_index=True, blank=True)
    alertname = models.CharField(max_length=200, blank=True)
    labels = models.JSONField(default=dict)
    annotations = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=Status.choices)
    starts_at = models.DateTimeField(null=True, blank=True)
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    incident = models.ForeignKey(
        "incidents.Incident",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="alert_states",
    )
    # The components this alert set and the status it gave them (routes may be edited later).
    component_ids = models.JSONField(default=list)
    component_status = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["-last_seen_at", "-id"]

    def __str__(self) -> str:
        return f"{self.alertname or self.fingerprint} ({self.status})"
