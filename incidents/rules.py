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

# Statuspage's top-level status: the page's indicator and the description that goes with it.
#
# Atlassian's "Top-level status and incident impact calculations" (support.atlassian.com/
# statuspage/docs/top-level-status-and-incident-impact-calculations/): the top-level status is
# calculated from *all* components of the page (no word of showcase or of hidden ones; groups
# are not components of their own, their status is derived). 0 components: operational unless
# an incident is open. 1 component: its status maps directly. 2 or more: "a best effort to blend
# the status of all of the components": all in major outage -> "Major System Outage"; some in
# major outage, or all in partial outage -> "Partial System Outage"; some in partial outage ->
# "Minor Service Outage"; all degraded -> "Degraded System Service"; some degraded -> "Partially
# Degraded Service" (the same rows in Freshstatus's help, a Statuspage-compatible product).
# Indicators follow the colours that page gives each description, which are Statuspage's
# indicator colours (red critical, orange major, yellow minor, blue maintenance); recorded pages
# agree: 5 of 9 components in major_outage reported `major` / "Partial System Outage", and pages
# with a few of hundreds of components in major_outage report `major` (github.com/
# Jaironlanda/isupmap/pull/12, github.com/koala73/worldmonitor/pull/1477).
ALL_OPERATIONAL = (Indicator.NONE, "All Systems Operational")
UNDER_MAINTENANCE = (Indicator.MAINTENANCE, "Service Under Maintenance")
MAJOR_SYSTEM_OUTAGE = (Indicator.CRITICAL, "Major System Outage")
PARTIAL_SYSTEM_OUTAGE = (Indicator.MAJOR, "Partial System Outage")
MINOR_SERVICE_OUTAGE = (Indicator.MINOR, "Minor Service Outage")
DEGRADED_SYSTEM_SERVICE = (Indicator.MINOR, "Degraded System Service")
PARTIALLY_DEGRADED_SERVICE = (Indicator.MINOR, "Partially Degraded Service")

# One component: its status maps directly.
_SINGLE = {
    ComponentStatus.OPERATIONAL: ALL_OPERATIONAL,
    ComponentStatus.UNDER_MAINTENANCE: UNDER_MAINTENANCE,
    ComponentStatus.DEGRADED_PERFORMANCE: PARTIALLY_DEGRADED_SERVICE,
    ComponentStatus.PARTIAL_OUTAGE: PARTIAL_SYSTEM_OUTAGE,
    ComponentStatus.MAJOR_OUTAGE: MAJOR_SYSTEM_OUTAGE,
}

# Raised by an open incident rather than by the components: Statuspage names each impact so.
_RAISED_BY_INCIDENT = {
    Indicator.MINOR: MINOR_SERVICE_OUTAGE,
    Indicator.MAJOR: PARTIAL_SYSTEM_OUTAGE,
    Indicator.CRITICAL: MAJOR_SYSTEM_OUTAGE,
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
    base_status: str,
    incident_statuses: Iterable[str],
    in_maintenance: bool,
    maintenance_by_hand: bool = False,
) -> ComponentStatus:
    """What a component shows: the worst of its own base status, the statuses open incidents
    impose on it, and under_maintenance while a maintenance window covering it runs.

    Maintenance set by hand stands in for the base status (an operator said "this component is
    under maintenance", as on Statuspage), which stays beneath until it ends; open incidents
    still show through, as they do during a window."""
    statuses = [*incident_statuses]
    if maintenance_by_hand:
        statuses.append(ComponentStatus.UNDER_MAINTENANCE)
    else:
        statuses.append(base_status)
    if in_maintenance:
        statuses.append(ComponentStatus.UNDER_MAINTENANCE)
    return worst_component_status(statuses)


def component_blend(component_statuses: Iterable[str]) -> tuple[Indicator, str]:
    """Statuspage's top-level status from the components alone (see the table above): one
    component maps directly, two or more are blended, not the worst of them.

    The rows are read literally: a component under maintenance is neither out nor degraded, so
    it keeps an "all in ..." row from holding. Maintenance is not one of the blend's rows; it
    shows as "Service Under Maintenance" when nothing is degraded or out (Statuspage's
    one-component row, and its description while a maintenance runs)."""
    statuses = [ComponentStatus(s) for s in component_statuses]
    if len(statuses) == 1:
        return _SINGLE[statuses[0]]
    present = set(statuses)
    if present == {ComponentStatus.MAJOR_OUTAGE}:
        return MAJOR_SYSTEM_OUTAGE
    if ComponentStatus.MAJOR_OUTAGE in present or present == {ComponentStatus.PARTIAL_OUTAGE}:
        return PARTIAL_SYSTEM_OUTAGE
    if ComponentStatus.PARTIAL_OUTAGE in present:
        return MINOR_SERVICE_OUTAGE
    if present == {ComponentStatus.DEGRADED_PERFORMANCE}:
        return DEGRADED_SYSTEM_SERVICE
    if ComponentStatus.DEGRADED_PERFORMANCE in present:
        return PARTIALLY_DEGRADED_SERVICE
    if ComponentStatus.UNDER_MAINTENANCE in present:
        return UNDER_MAINTENANCE
    return ALL_OPERATIONAL


def incident_current_impact(impact_override: str | None, imposed_statuses: Iterable[str]) -> Impact:
    """An unresolved incident's impact *now*: the operator's override, else what the statuses it
    currently imposes on its components amount to. (Its recorded impact keeps the peak for
    history; the top-level status follows the present.)"""
    if impact_override:
        return Impact(impact_override)
    return impact_for_statuses(imposed_statuses)


def page_status(
    component_statuses: Iterable[str], open_incident_impacts: Iterable[str] = ()
) -> tuple[Indicator, str]:
    """The page indicator and description: the components' blend (component_blend), raised by
    each unresolved incident to at least its current impact, even one naming no component.

    The one function behind every top-level status: API v2 status, the public page's banner,
    the widget and badges, webhook payloads and the dashboard."""
    indicator, description = component_blend(component_statuses)
    for impact in open_incident_impacts:
        raised = _INDICATOR_FOR_IMPACT[Impact(impact)]
        if INDICATOR_SEVERITY[raised] > INDICATOR_SEVERITY[indicator]:
            indicator, description = _RAISED_BY_INCIDENT[raised]
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
