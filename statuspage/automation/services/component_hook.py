"""The generic component hook: any monitor (a script, Grafana, Uptime Kuma) reports one
component's status; with an incident wanted, an outage opens one (once) and `operational`
resolves it.

Same override rule as alerts: an incident an operator resolved is not reopened until the
monitor reports operational and then an outage again. What this install knows of the monitor
is an AlertState with the fingerprint `hook:<component public id>`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from incidents.enums import OPEN_INCIDENT_STATUSES, ComponentStatus
from incidents.models import Component, Incident
from incidents.services import (
    Actor,
    component_status_set,
    incident_create,
    incident_resolve,
    incident_update_post,
    page_lock,
)
from statuspage.automation.alerts import Outcome
from statuspage.automation.models import AlertState

FIRING, RESOLVED = AlertState.Status.FIRING, AlertState.Status.RESOLVED


@dataclass
class HookState:
    """One component's monitor as this install knows it, read under the page lock."""

    component: Component
    fingerprint: str
    state: AlertState | None
    # The incident the monitor opened, while it is open (set when this call opens one).
    open_incident: Incident | None
    # The monitor still reports a failure but an operator resolved its incident: the repeats
    # must not reopen it.
    closed_by_operator: bool

    @property
    def firing(self) -> AlertState | None:
        """The state while it records a failure the monitor still reports, else None."""
        return self.state if self.state is not None and self.state.status == FIRING else None

    @property
    def base(self) -> dict:
        return {"component": self.component.public_id}


def component_hook_apply(
    *,
    component: Component,
    status: str,
    incident: dict | None,
    actor: Actor,
    fingerprint: str | None = None,
) -> Outcome:
    """Set a component's status from a monitor; `incident` ({"name", "body"}, either may be
    blank) asks for an incident while it fails. One call is one transaction. `fingerprint`
    names the monitor when a component has several (the built-in monitors: one each); by
    default the component's one generic hook."""
    outcome = Outcome(matched=1)
    with transaction.atomic():
        page_lock()
        hook = _hook_state(Component.objects.get(pk=component.pk), fingerprint)
        if status == ComponentStatus.OPERATIONAL:
            _recovered(hook, incident, outcome, actor)
        else:
            _failing(hook, status, incident, outcome, actor)
        # Without an incident the hook sets the component's own status, as a person would.
        own = incident is None and hook.open_incident is None and not hook.closed_by_operator
        if own or status == ComponentStatus.OPERATIONAL:
            _set_own_status(hook, status, outcome, actor)
    return outcome


@dataclass(frozen=True)
class ComponentReport:
    """What a monitor says of one component: its status now, and whether it wants an incident
    while the component fails ({"name", "body"}) or not (None)."""

    component: Component
    status: str
    incident: dict | None = None


def component_reports_apply(
    *, reports: list[ComponentReport], unmatched: int, actor: Actor
) -> Outcome:
    """Apply several components' reports from one notification (a Grafana webhook) as one
    transaction: if any is refused, none is kept. `unmatched` counts the alerts that named no
    component (they are ignored, not errors)."""
    outcome = Outcome(unmatched=unmatched)
    with transaction.atomic():
        for report in reports:
            one = component_hook_apply(
                component=report.component,
                status=report.status,
                incident=report.incident,
                actor=actor,
            )
            outcome.matched += one.matched
            outcome.changes.extend(one.changes)
    return outcome


def _hook_state(component: Component, fingerprint: str | None) -> HookState:
    fingerprint = fingerprint or f"hook:{component.public_id}"
    state = AlertState.objects.filter(fingerprint=fingerprint).first()
    firing = state if state is not None and state.status == FIRING else None
    open_incident = None
    if firing is not None and firing.incident_id:
        open_incident = Incident.objects.filter(
            pk=firing.incident_id, status__in=OPEN_INCIDENT_STATUSES
        ).first()
    return HookState(
        component=component,
        fingerprint=fingerprint,
        state=state,
        open_incident=open_incident,
        closed_by_operator=(
            firing is not None and firing.incident_id is not None and open_incident is None
        ),
    )


def _recovered(hook: HookState, incident: dict | None, outcome: Outcome, actor: Actor) -> None:
    """`operational`: resolve the monitor's incident, and forget the failure."""
    if hook.open_incident is not None:
        body = (incident or {}).get("body") or "Resolved: the monitor reports operational."
        incident_resolve(incident=hook.open_incident, body=body, notify=True, actor=actor)
        outcome.changes.append(
            hook.base | {"action": "incident_resolved", "incident": hook.open_incident.public_id}
        )
    if hook.firing is not None:
        now = timezone.now()
        AlertState.objects.filter(pk=hook.firing.pk).update(
            status=RESOLVED, resolved_at=now, last_seen_at=now
        )


def _failing(
    hook: HookState, status: str, incident: dict | None, outcome: Outcome, actor: Actor
) -> None:
    """An outage or degradation: open the incident asked for (once), or move the open one to
    the reported status; then remember the failure."""
    open_incident = hook.open_incident
    if incident is not None and open_incident is None and not hook.closed_by_operator:
        hook.open_incident = incident_create(
            name=incident.get("name") or f"{hook.component.name}: {_label(status)}",
            body=incident.get("body") or f"Monitoring reports {_label(status).lower()}.",
            component_statuses={hook.component: status},
            actor=actor,
        )
        outcome.changes.append(
            hook.base | {"action": "incident_opened", "incident": hook.open_incident.public_id}
        )
    elif open_incident is not None and _imposed(open_incident, hook.component) != status:
        incident_update_post(
            incident=open_incident,
            status=open_incident.status,
            body=(incident or {}).get("body")
            or f"Monitoring now reports {_label(status).lower()}.",
            component_statuses={hook.component: status},
            actor=actor,
        )
        outcome.changes.append(
            hook.base | {"action": "incident_updated", "incident": open_incident.public_id}
        )
    _record_firing(hook, status)


def _record_firing(hook: HookState, status: str) -> None:
    now = timezone.now()
    since: dict[str, Any]
    if hook.firing is not None:
        # Keeps first_seen_at, and the incident an operator closed (so it is not reopened).
        since = {"incident": hook.open_incident or hook.firing.incident}
    else:
        since = {"first_seen_at": now, "incident": hook.open_incident}
    AlertState.objects.update_or_create(
        fingerprint=hook.fingerprint,
        defaults={
            "route": None,
            "alertname": hook.component.name[:200],
            "status": FIRING,
            "last_seen_at": now,
            "resolved_at": None,
            "component_ids": [hook.component.id],
            "component_status": status,
            **since,
        },
    )


def _set_own_status(hook: HookState, status: str, outcome: Outcome, actor: Actor) -> None:
    component = hook.component
    component.refresh_from_db()
    if component.base_status == status:
        return
    old = component.base_status
    # As the dashboard's one-click change: the page's component-change setting decides
    # whether subscribers hear of it.
    component_status_set(component=component, status=status, actor=actor, notify=True)
    outcome.changes.append(
        hook.base | {"action": "component_status", "old_status": old, "new_status": status}
    )


def _imposed(incident: Incident, component: Component) -> str | None:
    row = incident.affected.filter(component=component).first()
    return row.status if row else None


def _label(status: str) -> str:
    return ComponentStatus(status).label
