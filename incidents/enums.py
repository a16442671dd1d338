"""Statuspage's enums and the orderings the status rules use.

Severity order of component statuses (used for "worst of"): operational < under_maintenance <
degraded_performance < partial_outage < major_outage. Maintenance ranks below any outage so an
incident on a component under maintenance stays visible.
"""

from collections.abc import Iterable

from django.db import models


class ComponentStatus(models.TextChoices):
    OPERATIONAL = "operational", "Operational"
    UNDER_MAINTENANCE = "under_maintenance", "Under maintenance"
    DEGRADED_PERFORMANCE = "degraded_performance", "Degraded performance"
    PARTIAL_OUTAGE = "partial_outage", "Partial outage"
    MAJOR_OUTAGE = "major_outage", "Major outage"


class IncidentStatus(models.TextChoices):
    INVESTIGATING = "investigating", "Investigating"
    IDENTIFIED = "identified", "Identified"
    MONITORING = "monitoring", "Monitoring"
    RESOLVED = "resolved", "Resolved"
    POSTMORTEM = "postmortem", "Postmortem"


OPEN_INCIDENT_STATUSES = (
    IncidentStatus.INVESTIGATING,
    IncidentStatus.IDENTIFIED,
    IncidentStatus.MONITORING,
)


class MaintenanceStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    IN_PROGRESS = "in_progress", "In progress"
    VERIFYING = "verifying", "Verifying"
    COMPLETED = "completed", "Completed"


ACTIVE_MAINTENANCE_STATUSES = (MaintenanceStatus.IN_PROGRESS, MaintenanceStatus.VERIFYING)


class Impact(models.TextChoices):
    NONE = "none", "None"
    MINOR = "minor", "Minor"
    MAJOR = "major", "Major"
    CRITICAL = "critical", "Critical"
    MAINTENANCE = "maintenance", "Maintenance"


class Indicator(models.TextChoices):
    NONE = "none", "None"
    MAINTENANCE = "maintenance", "Maintenance"
    MINOR = "minor", "Minor"
    MAJOR = "major", "Major"
    CRITICAL = "critical", "Critical"


class ChangeSource(models.TextChoices):
    MANUAL = "manual", "Manual"
    INCIDENT = "incident", "Incident"
    MAINTENANCE = "maintenance", "Maintenance"
    AUTOMATION = "automation", "Automation"
    IMPORT = "import", "Import"


COMPONENT_SEVERITY = {
    ComponentStatus.OPERATIONAL: 0,
    ComponentStatus.UNDER_MAINTENANCE: 1,
    ComponentStatus.DEGRADED_PERFORMANCE: 2,
    ComponentStatus.PARTIAL_OUTAGE: 3,
    ComponentStatus.MAJOR_OUTAGE: 4,
}

INDICATOR_SEVERITY = {
    Indicator.NONE: 0,
    Indicator.MAINTENANCE: 1,
    Indicator.MINOR: 2,
    Indicator.MAJOR: 3,
    Indicator.CRITICAL: 4,
}

IMPACT_SEVERITY = {
    Impact.NONE: 0,
    Impact.MAINTENANCE: 0,
    Impact.MINOR: 1,
    Impact.MAJOR: 2,
    Impact.CRITICAL: 3,
}


def worst_component_status(statuses: Iterable[str]) -> ComponentStatus:
    """The most severe of the given statuses; operational for none."""
    return max(
        (ComponentStatus(s) for s in statuses),
        key=COMPONENT_SEVERITY.__getitem__,
        default=ComponentStatus.OPERATIONAL,
    )
