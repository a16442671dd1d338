"""Incidents, maintenance, their updates, and incident templates."""

from __future__ import annotations

from typing import TypedDict

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from incidents.enums import (
    ACTIVE_MAINTENANCE_STATUSES,
    OPEN_INCIDENT_STATUSES,
    ComponentStatus,
    Impact,
    IncidentStatus,
    MaintenanceStatus,
)
from incidents.models.base import (
    CheckedModel,
    PublicIdModel,
)
from incidents.models.components import Component
from incidents.models.pages import page_field


class Incident(PublicIdModel):
    page = page_field("incidents")
    name = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=IncidentStatus.choices)
    # The worst impact the affected components reached (it never drops by itself, so history
    # shows how bad it got); an operator's override wins.
    computed_impact = models.CharField(max_length=12, choices=Impact.choices, default=Impact.NONE)
    impact_override = models.CharField(max_length=12, choices=Impact.choices, null=True, blank=True)
    components = models.ManyToManyField(
        Component, through="IncidentComponent", related_name="incidents"
    )
    started_at = models.DateTimeField(default=timezone.now)
    monitoring_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    backfilled = models.BooleanField(default=False)
    # Operator-written translations of the name: {"de": {"name": "..."}} (incidents/services/
    # translations.py writes them; readers and subscribers in another language get theirs).
    translations = models.JSONField(default=dict, blank=True)
    postmortem_draft = models.TextField(blank=True, default="")
    postmortem_body = models.TextField(blank=True, default="")
    postmortem_published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["status"]), models.Index(fields=["started_at"])]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(status__in=OPEN_INCIDENT_STATUSES, resolved_at__isnull=True)
                    | (~Q(status__in=OPEN_INCIDENT_STATUSES) & Q(resolved_at__isnull=False))
                ),
                name="incident_resolved_at_iff_resolved",
            ),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | Q(resolved_at__gte=F("started_at")),
                name="incident_resolved_after_start",
            ),
            models.CheckConstraint(
                condition=~Q(impact_override=Impact.MAINTENANCE),
                name="incident_impact_not_maintenance",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def impact(self) -> str:
        return self.impact_override or self.computed_impact

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_INCIDENT_STATUSES


class IncidentComponent(CheckedModel):
    """A component an incident affects, and the status the incident imposes on it right now."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="affected")
    component = models.ForeignKey(Component, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=24, choices=ComponentStatus.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "component"], name="incident_component_once"
            ),
            models.CheckConstraint(
                condition=~Q(status=ComponentStatus.UNDER_MAINTENANCE),
                name="incident_component_not_maintenance",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.component_id} {self.status} in incident {self.incident_id}"


class UpdateBase(PublicIdModel):
    # Each concrete update declares its own `status` field, with its own choices.
    status: str
    body = models.TextField(help_text="Markdown.")
    display_at = models.DateTimeField(default=timezone.now)
    deliver_notifications = models.BooleanField(default=True)
    # Operator-written translations of the body: {"de": {"body": "..."}}.
    translations = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True
        ordering = ["-display_at", "-id"]

    def __str__(self) -> str:
        return f"{self.status} at {self.display_at:%Y-%m-%d %H:%M}"


class AffectedComponent(TypedDict):
    """One entry of IncidentUpdate.affected_components (Statuspage's shape): `code` is the
    component's public id."""

    code: str
    name: str
    old_status: str
    new_status: str


class IncidentUpdate(UpdateBase):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="updates")
    status = models.CharField(max_length=16, choices=IncidentStatus.choices)
    # Snapshot of what this update did: a list of AffectedComponent, or null.
    affected_components = models.JSONField(null=True, blank=True)

    class Meta(UpdateBase.Meta):
        indexes = [models.Index(fields=["incident", "display_at"])]


class Maintenance(PublicIdModel):
    page = page_field("maintenances")
    name = models.CharField(max_length=200)
    status = models.CharField(
        max_length=16, choices=MaintenanceStatus.choices, default=MaintenanceStatus.SCHEDULED
    )
    scheduled_for = models.DateTimeField()
    scheduled_until = models.DateTimeField()
    components = models.ManyToManyField(Component, related_name="maintenances", blank=True)
    auto_start = models.BooleanField(default=True)
    auto_complete = models.BooleanField(default=True)
    remind_before_minutes = models.PositiveIntegerField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # A cancelled window ends as "completed" in the public JSON (Statuspage has no cancelled
    # state); this field tells the two apart for our own pages and notifications.
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # Operator-written translations of the name: {"de": {"name": "..."}}.
    translations = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-scheduled_for", "-id"]
        indexes = [models.Index(fields=["status", "scheduled_for"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(scheduled_until__gt=F("scheduled_for")),
                name="maintenance_ends_after_start",
                violation_error_message="The window must end after it starts.",
            ),
            models.CheckConstraint(
                condition=Q(status=MaintenanceStatus.COMPLETED, completed_at__isnull=False)
                | (~Q(status=MaintenanceStatus.COMPLETED) & Q(completed_at__isnull=True)),
                name="maintenance_completed_at_iff_completed",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_MAINTENANCE_STATUSES

    @property
    def impact(self) -> str:
        return Impact.MAINTENANCE


class MaintenanceUpdate(UpdateBase):
    maintenance = models.ForeignKey(Maintenance, on_delete=models.CASCADE, related_name="updates")
    status = models.CharField(max_length=16, choices=MaintenanceStatus.choices)
    # What the update said it did to components (AffectedComponent list), as a source page
    # recorded it: kept by the importer so imported history reads as it did there. Windows run
    # here leave it null; their component changes are in the status log.
    affected_components = models.JSONField(null=True, blank=True)


class IncidentTemplate(CheckedModel):
    """A prepared incident: its title and message are Jinja2 templates rendered in a sandbox
    (incidents/templating.py), e.g. "{{ components }} unavailable" -> "API, Web unavailable"."""

    page = page_field("incident_templates")
    name = models.CharField(max_length=120)
    title = models.CharField(max_length=200)
    body = models.TextField(help_text="Markdown, rendered as a sandboxed Jinja2 template.")
    status = models.CharField(
        max_length=16,
        choices=[(s.value, s.label) for s in OPEN_INCIDENT_STATUSES],
        default=IncidentStatus.INVESTIGATING,
    )
    components = models.ManyToManyField(Component, blank=True, related_name="+")
    component_status = models.CharField(
        max_length=24,
        choices=[
            (value, label)
            for value, label in ComponentStatus.choices
            if value != ComponentStatus.UNDER_MAINTENANCE
        ],
        default=ComponentStatus.MAJOR_OUTAGE,
        help_text="The status the incident gives the template's components.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["page", "name"], name="incident_template_name_per_page")
        ]

    def __str__(self) -> str:
        return self.name
