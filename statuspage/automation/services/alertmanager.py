"""Alertmanager notifications: what a firing or resolved alert does to components and incidents.

The rules (docs/api.md, "Automation from monitoring"):

- The first enabled route (in order) whose matchers match an alert's labels decides for it;
  an alert matching none is counted and ignored.
- A route without incidents sets its components' own status while any of its alerts fires (the
  worst one wins when several do) and restores them when the last resolves. A firing alert only
  ever raises a status; a resolution restores only if the status is still the one automation
  set, so an operator's hand-set status is left alone.
- A route with incidents opens one incident per (route, Alertmanager group); later alerts of the
  group post an update to it; when every alert of it has resolved, it is resolved (components
  return to what other incidents and maintenance impose).
- Repeats of a firing alert (Alertmanager re-sends every repeat_interval) change nothing. If an
  operator resolved the incident while its alert still fires, the repeats do not reopen it: only
  a new firing (the alert resolves and fires again, i.e. a new startsAt) opens a new incident.
- One request is one transaction: a refused change leaves nothing half-written.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from incidents.enums import COMPONENT_SEVERITY, OPEN_INCIDENT_STATUSES, ComponentStatus
from incidents.models import Component, Incident
from incidents.services import (
    Actor,
    component_status_set,
    incident_create,
    incident_resolve,
    incident_update_post,
    page_lock,
)
from statuspage.automation.alerts import Alert, Outcome, group_hash
from statuspage.automation.models import AlertRoute, AlertState
from statuspage.automation.rules import first_route, render_name

FIRING, RESOLVED = AlertState.Status.FIRING, AlertState.Status.RESOLVED


def alerts_apply(*, alerts: list[Alert], group_key: str, actor: Actor) -> Outcome:
    """Apply one Alertmanager notification (already validated)."""
    outcome = Outcome()
    with transaction.atomic():
        # Serialises concurrent notifications, so two repeats cannot both open an incident.
        page_lock()
        routes = list(AlertRoute.objects.filter(enabled=True).prefetch_related("components"))
        ghash = group_hash(group_key)
        for alert in alerts:
            state = AlertState.objects.filter(fingerprint=alert.fingerprint).first()
            route = first_route(routes, alert.labels)
            # The state while it records this alert firing, else None.
            firing = state if state is not None and state.status == FIRING else None
            if route is None and firing is None:
                outcome.unmatched += 1
                continue
            outcome.matched += 1
            if alert.status == RESOLVED:
                if firing is not None:
                    _resolve(firing, outcome, actor)
                continue
            if firing is not None and _same_firing(firing, alert):
                AlertState.objects.filter(pk=firing.pk).update(last_seen_at=timezone.now())
                continue
            if firing is not None:
                # A new startsAt: the resolution was missed; close the old firing.
                _resolve(firing, outcome, actor)
            if route is None:
                continue
            _fire(alert, route, ghash, outcome, actor)
    return outcome


def _same_firing(state: AlertState, alert: Alert) -> bool:
    return state.starts_at is None or alert.starts_at is None or state.starts_at == alert.starts_at


def _fire(alert: Alert, route: AlertRoute, ghash: str, outcome: Outcome, actor: Actor) -> None:
    now = timezone.now()
    components = list(route.components.all())
    state, _ = AlertState.objects.update_or_create(
        fingerprint=alert.fingerprint,
        defaults={
            "route": route,
            "group_hash": ghash,
            "alertname": alert.name[:200],
            "labels": alert.labels,
            "annotations": alert.annotations,
            "status": FIRING,
            "starts_at": alert.starts_at,
            "first_seen_at": now,
            "last_seen_at": now,
            "resolved_at": None,
            "incident": None,
            "component_ids": [c.id for c in components],
            "component_status": route.firing_status,
        },
    )
    base = {"alert": alert.name, "fingerprint": alert.fingerprint, "route": route.name}
    if not route.open_incident:
        for component in components:
            _drive_component(component, state, firing=True, outcome=outcome, base=base, actor=actor)
        return
    incident, action = _incident_for(alert, state, route, components, ghash, actor)
    AlertState.objects.filter(pk=state.pk).update(incident=incident)
    outcome.changes.append(base | {"action": action, "incident": incident.public_id})


def _incident_for(
    alert: Alert, state: AlertState, route: AlertRoute, components, ghash: str, actor: Actor
) -> tuple[Incident, str]:
    """Open the route's incident for this Alertmanager group, or post the firing alerts to the
    one already open; returns it and what was done."""
    incident = _open_incident_for(route, ghash, exclude=state)
    if incident is None:
        context = {
            "labels": alert.labels,
            "annotations": alert.annotations,
            "alertname": alert.name,
            "components": ", ".join(c.name for c in components),
        }
        incident = incident_create(
            name=render_name(route.incident_name_template, context),
            body=_listing([state]),
            component_statuses={c: route.firing_status for c in components},
            impact_override=route.impact_override or None,
            notify=route.notify,
            actor=actor,
        )
        return incident, "incident_opened"
    firing = list(AlertState.objects.filter(incident=incident, status=FIRING)) + [state]
    # The incident's current status and component statuses stay as the operator left them.
    incident_update_post(
        incident=incident,
        status=incident.status,
        body=_listing(firing),
        notify=route.notify,
        actor=actor,
    )
    return incident, "incident_updated"


def _resolve(state: AlertState, outcome: Outcome, actor: Actor) -> None:
    now = timezone.now()
    AlertState.objects.filter(pk=state.pk).update(
        status=RESOLVED, resolved_at=now, last_seen_at=now
    )
    state.status = RESOLVED
    base = {"alert": state.alertname, "fingerprint": state.fingerprint}
    incident = state.incident
    if incident is not None:
        incident = Incident.objects.get(pk=incident.pk)
        if incident.status not in OPEN_INCIDENT_STATUSES:
            return  # resolved by an operator already
        still = list(AlertState.objects.filter(incident=incident, status=FIRING))
        notify = state.route.notify if state.route else False
        if still:
            body = f"Resolved: {state.alertname}.\n\n" + _listing(still)
            # A partial recovery is told on the page, not pushed to subscribers.
            incident_update_post(
                incident=incident, status=incident.status, body=body, notify=False, actor=actor
            )
            action = "incident_updated"
        else:
            incident_resolve(
                incident=incident,
                body="Resolved: every alert behind this incident has cleared.",
                notify=notify,
                actor=actor,
            )
            action = "incident_resolved"
        outcome.changes.append(base | {"action": action, "incident": incident.public_id})
        return
    for component in Component.objects.filter(id__in=state.component_ids):
        _drive_component(component, state, firing=False, outcome=outcome, base=base, actor=actor)


def _drive_component(
    component: Component, state: AlertState, *, firing: bool, outcome, base, actor
) -> None:
    """Set a component's own status from the firing alerts (without incidents) that cover it."""
    others = [
        s.component_status
        for s in AlertState.objects.filter(status=FIRING, incident__isnull=True)
        .exclude(pk=state.pk)
        .exclude(component_status="")
        if component.id in s.component_ids
    ]
    without = _worst(others)
    with_this = _worst([*others, state.component_status])
    # Read afresh: an earlier alert of this same notification may have changed it.
    current = Component.objects.values_list("base_status", flat=True).get(pk=component.pk)
    if firing:
        if COMPONENT_SEVERITY[with_this] <= COMPONENT_SEVERITY[ComponentStatus(current)]:
            return
        new = with_this
    else:
        # Only undo what automation did: a status an operator set by hand stays.
        if current != with_this or without == current:
            return
        new = without
    notify = state.route.notify if state.route else False
    component_status_set(component=component, status=new, notify=notify, actor=actor)
    outcome.changes.append(
        base
        | {
            "action": "component_status",
            "component": component.public_id,
            "old_status": current,
            "new_status": new.value if hasattr(new, "value") else new,
        }
    )


def _worst(statuses) -> ComponentStatus:
    return max(
        (ComponentStatus(s) for s in statuses if s),
        key=COMPONENT_SEVERITY.__getitem__,
        default=ComponentStatus.OPERATIONAL,
    )


def _open_incident_for(route: AlertRoute, ghash: str, *, exclude: AlertState) -> Incident | None:
    state = (
        AlertState.objects.filter(
            route=route, group_hash=ghash, incident__status__in=OPEN_INCIDENT_STATUSES
        )
        .exclude(pk=exclude.pk)
        .select_related("incident")
        .order_by("-incident__started_at")
        .first()
    )
    return state.incident if state else None


def _listing(states: list[AlertState]) -> str:
    lines = ["Firing alerts:", ""]
    for state in sorted(states, key=lambda s: (s.alertname, s.fingerprint)):
        summary = state.annotations.get("summary") or state.annotations.get("description") or ""
        where = state.labels.get("instance") or state.labels.get("service") or ""
        text = f"- {state.alertname}"
        if where:
            text += f" ({where})"
        if summary:
            text += f": {summary}"
        lines.append(text[:500])
    return "\n".join(lines)
