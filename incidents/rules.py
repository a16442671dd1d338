"""The status rules users notice, as pure functions (table-tested in tests/incidents/)."""

from __future__ import annotations

from collections.abc import Iterable

from incidents.enums import (
    IMPACT_SEVERITY,
    INDICATOR_SEVERITY,
    ComponentStatus,
    Impact,
    Indicator,
    worst_component_status,
)

DESCRIPTIONS = {
    Indicator.NONE: "All Systems Operational",
    Indicator.MAINTENANCE: "Service Under Maintenance",
    Indicator.MINOR: "Partially Degraded Service",
    Indicator.MAJOR: "Partial System Outage",
    Indicator.CRITICAL: "Major System Outage",
}

# Raised by an open incident rather than by a component: Statuspage calls minor "Minor Service
# Outage" in that case, so tools matching its descriptions keep working.
INCIDENT_DESCRIPTIONS = {
    Indicator.MINOR: "Minor Service Outage",
    Indicator.MAJOR: "Partial System Outage",
    Indicator.CRITICAL: "Major System Outage",
}

_INDICATOR_FOR_STATUS = {
    ComponentStatus.OPERATIONAL: Indicator.NONE,
    ComponentStatus.UNDER_MAINTENANCE: Indicator.MAINTENANCE,
    ComponentStatus.DEGRADED_PERFORMANCE: Indicator.MINOR,
    ComponentStatus.PARTIAL_OUTAGE: Indicator.MAJOR,
    ComponentStatus.MAJOR_OUTAGE: Indicator.CRITICAL,
}

_INDICATOR_FOR_IMPACT = {
    Impact.NONE: Indicator.NONE,
    Impact.MAINTENANCE: Indicator.NONE,
    Impact.MINOR: Indicator.MINOR,
    Impact.MAJOR: Indicator.MAJOR,
    Impact.CRITICAL: Indicator.CRITICAL,
}

_IMPACT_FOR_STATUS = {
    ComponentStatus.OPERATIONAL: Impact.NONE,
    ComponentStatus.UNDER_MAINTENANCE: Impact.NONE,
    ComponentStatus.DEGRADED_PERFORMANCE: Impact.MINOR,
    ComponentStatus.PARTIAL_OUTAGE: Impact.MAJOR,
    ComponentStatus.MAJOR_OUTAGE: Impact.CRITICAL,
}


def effective_component_status(
    base_status: str, incident_statuses: Iterable[str], in_maintenance: bool
) -> ComponentStatus:
    """What a component shows: the worst of its own base status, the statuses open incidents
    impose on it, and under_maintenance while a maintenance window covering it runs."""
    statuses = [base_status, *incident_statuses]
    if in_maintenance:
        statuses.append(ComponentStatus.UNDER_MAINTENANCE)
    return worst_component_status(statuses)


def page_status(
    component_statuses: Iterable[str], open_incident_impacts: Iterable[str] = ()
) -> tuple[Indicator, str]:
    """The page indicator and description.

    The worst component decides (major outage -> critical, partial -> major, degraded -> minor,
    maintenance -> maintenance). An unresolved incident raises the indicator to at least its
    impact, even when it names no component.
    """
    indicator = _INDICATOR_FOR_STATUS[worst_component_status(component_statuses)]
    description = DESCRIPTIONS[indicator]
    for impact in open_incident_impacts:
        raised = _INDICATOR_FOR_IMPACT[Impact(impact)]
        if INDICATOR_SEVERITY[raised] > INDICATOR_SEVERITY[indicator]:
            indicator, description = raised, INCIDENT_DESCRIPTIONS[raised]
    return indicator, description


def impact_for_statuses(statuses: Iterable[str], previous: str = Impact.NONE) -> Impact:
    """An incident's computed impact: the worst its components reached, never lower than before."""
    impact = Impact(previous)
    for status in statuses:
        candidate = _IMPACT_FOR_STATUS[ComponentStatus(status)]
        if IMPACT_SEVERITY[candidate] > IMPACT_SEVERITY[impact]:
            impact = candidate
    return impact


def uptime_level(downtime_seconds: float, thresholds_minutes: Iterable[int]) -> int:
    """A day's colour level: how many of the page's downtime thresholds it exceeds (0 = clean)."""
    minutes = downtime_seconds / 60
    return sum(1 for threshold in thresholds_minutes if minutes > threshold)
