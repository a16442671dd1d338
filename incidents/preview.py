"""What a change would show, before it is made: the page's top-level status and each affected
component's public status if an incident imposed these statuses.

A read (a selector): it computes with the same rules the write path uses (incidents/rules.py,
effective_component_status and page_status), so the dashboard's preview and the banner after
posting cannot disagree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

from incidents.enums import ACTIVE_MAINTENANCE_STATUSES, OPEN_INCIDENT_STATUSES
from incidents.models import Component, Incident, IncidentComponent, Maintenance
from incidents.rules import effective_component_status, incident_current_impact, page_status


@dataclass(frozen=True)
class ComponentChange:
    name: str
    old: str
    new: str
    new_label: str


@dataclass(frozen=True)
class StatusPreview:
    indicator: str
    description: str
    changes: tuple[ComponentChange, ...]


def status_preview(
    imposed: Mapping[int, str],
    *,
    incident: Incident | None = None,
    impact_override: str | None = None,
    resolving: bool = False,
) -> StatusPreview:
    """The page if `incident` (None: a new one) imposed `imposed` ({component id: status}) on
    top of what it imposes now, or, with `resolving`, if it closed. Three queries."""
    own: dict[int, str] = {}
    others: defaultdict[int, list[str]] = defaultdict(list)
    open_incidents: defaultdict[int, list[str]] = defaultdict(list)
    rows = IncidentComponent.objects.filter(incident__status__in=OPEN_INCIDENT_STATUSES)
    for incident_id, component_id, status in rows.values_list(
        "incident_id", "component_id", "status"
    ):
        if incident is not None and incident_id == incident.pk:
            own[component_id] = status
        else:
            others[component_id].append(status)
            open_incidents[incident_id].append(status)
    if not resolving:
        own.update(imposed)
    in_maintenance = set(
        Maintenance.components.through.objects.filter(
            maintenance__status__in=ACTIVE_MAINTENANCE_STATUSES
        ).values_list("component_id", flat=True)
    )
    overrides = dict(
        Incident.objects.filter(status__in=OPEN_INCIDENT_STATUSES).values_list(
            "id", "impact_override"
        )
    )
    statuses, changes = [], []
    for component in Component.objects.all():
        mine = [own[component.id]] if component.id in own and not resolving else []
        new = effective_component_status(
            component.base_status,
            [*others[component.id], *mine],
            component.id in in_maintenance,
            component.maintenance_by_hand,
        )
        statuses.append(new)
        if new != component.status:
            changes.append(ComponentChange(component.name, component.status, new, new.label))
    impacts = [
        incident_current_impact(overrides.get(incident_id), imposed_statuses)
        for incident_id, imposed_statuses in open_incidents.items()
    ]
    # Open incidents that impose nothing still raise the page by their override.
    impacts += [
        incident_current_impact(override, [])
        for incident_id, override in overrides.items()
        if incident_id not in open_incidents and (incident is None or incident_id != incident.pk)
    ]
    if not resolving:
        impacts.append(incident_current_impact(impact_override, own.values()))
    indicator, description = page_status(statuses, impacts)
    return StatusPreview(indicator.value, description, tuple(changes))
