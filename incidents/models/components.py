"""Components, their groups, and the status-change log."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models
from django.db.models import F, Q
from django.db.models.base import ModelBase
from django.utils import timezone

from incidents.enums import (
    ChangeSource,
    ComponentStatus,
)
from incidents.models.base import (
    CheckedModel,
    PublicIdModel,
)
from incidents.models.pages import page_field


class ComponentGroup(PublicIdModel):
    page = page_field("component_groups")
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True, default="")
    # Ordering rule: by position, ties broken by creation order (id). Positions need not be
    # unique, so reordering never fights a unique constraint mid-update.
    position = models.PositiveIntegerField(default=0)
    collapsed = models.BooleanField(
        default=False, help_text="Collapsed on the page when all is well."
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class Component(PublicIdModel):
    page = page_field("components")
    group = models.ForeignKey(
        ComponentGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="components"
    )
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True, default="")
    position = models.PositiveIntegerField(default=0)
    # What the public sees: the worst of base_status, open incidents and running maintenance.
    status = models.CharField(
        max_length=24, choices=ComponentStatus.choices, default=ComponentStatus.OPERATIONAL
    )
    # The status set by hand or by automation, outside any incident or maintenance. Resolving
    # every incident returns the component to this, not blindly to operational.
    base_status = models.CharField(
        max_length=24, choices=ComponentStatus.choices, default=ComponentStatus.OPERATIONAL
    )
    # Put under maintenance by hand (API, dashboard, import) rather than by a maintenance window:
    # it shows under_maintenance in place of the base status, which stays beneath and comes
    # back when the maintenance ends. Open incidents still show through.
    maintenance_by_hand = models.BooleanField(default=False)
    showcase = models.BooleanField(default=True, help_text="Show the 90-day uptime bar.")
    only_show_if_degraded = models.BooleanField(default=False)
    start_date = models.DateField(null=True, blank=True, help_text="Uptime starts on this day.")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(base_status=ComponentStatus.UNDER_MAINTENANCE),
                name="component_base_status_not_maintenance",
                violation_error_message="Maintenance status comes from a maintenance window.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    # Lets page templates tell tree entries apart (see selectors.GroupNode).
    is_group = False


class ComponentStatusChange(CheckedModel):
    """Append-only log of every change of a component's public status."""

    component = models.ForeignKey(
        Component, on_delete=models.CASCADE, related_name="status_changes"
    )
    old_status = models.CharField(max_length=24, choices=ComponentStatus.choices)
    new_status = models.CharField(max_length=24, choices=ComponentStatus.choices)
    at = models.DateTimeField(default=timezone.now)
    source = models.CharField(max_length=16, choices=ChangeSource.choices)
    actor = models.CharField(max_length=200, blank=True, default="")
    incident = models.ForeignKey(
        "Incident", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    maintenance = models.ForeignKey(
        "Maintenance", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["component", "at"]), models.Index(fields=["at"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(old_status=F("new_status")), name="status_change_changes_something"
            )
        ]

    def __str__(self) -> str:
        return f"{self.component_id}: {self.old_status} -> {self.new_status} at {self.at}"

    def save(
        self,
        *,
        force_insert: bool | tuple[ModelBase, ...] = False,
        force_update: bool = False,
        using: str | None = None,
        update_fields: Iterable[str] | None = None,
    ) -> None:
        if self.pk is not None:
            raise ValueError("Status changes are append-only.")
        super().save(
            force_insert=force_insert,
            force_update=force_update,
            using=using,
            update_fields=update_fields,
        )
