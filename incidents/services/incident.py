"""Incident writes: declare, post updates, resolve, edit an update, postmortems."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from types import EllipsisType

from django.db import transaction
from django.utils import timezone

from incidents import events
from incidents.enums import (
    OPEN_INCIDENT_STATUSES,
    ChangeSource,
    ComponentStatus,
    Impact,
    IncidentStatus,
)
from incidents.errors import ServiceError
from incidents.events import DomainEvent, EventKind, Touched
from incidents.models import (
    AffectedComponent,
    Component,
    Incident,
    IncidentComponent,
    IncidentUpdate,
)
from incidents.rules import impact_for_statuses
from incidents.services.common import (
    FUTURE_SKEW,
    Actor,
    PageRef,
    audit_record,
    audit_snapshot,
    before_today,
    check_log_order,
    history_changed,
    page_lock,
    public_changed,
    recompute_components,
    resolve_at,
    source_for,
)

ComponentStatuses = Mapping[Component, str]
_AUDIT_FIELDS = ("name", "status", "impact_override", "computed_impact", "resolved_at")


def _validate(name: str, status: str, body: str, component_statuses: ComponentStatuses) -> None:
    if not name or not name.strip():
        raise ServiceError("An incident needs a name.", field="name")
    if status not in IncidentStatus.values:
        raise ServiceError(f"Unknown incident status {status!r}.", field="status")
    if not body or not body.strip():
        raise ServiceError("An update needs a message.", field="body")
    for component, component_status in component_statuses.items():
        if component_status not in ComponentStatus.values:
            raise ServiceError(
                f"Unknown status {component_status!r} for {component.name}.", field="components"
            )
        if component_status == ComponentStatus.UNDER_MAINTENANCE:
            raise ServiceError(
                "Components go under maintenance through a maintenance window, not an incident.",
                field="components",
            )


def incident_create(
    *,
    name: str,
    body: str,
    actor: Actor,
    status: str = IncidentStatus.INVESTIGATING,
    component_statuses: ComponentStatuses | None = None,
    impact_override: str | None = None,
    notify: bool = True,
    at: datetime | None = None,
    backfilled: bool = False,
    page: PageRef | None = None,
) -> Incident:
    """Declare an incident with its first update; impose the given component statuses. The
    page is the components' when none is named (else the default page)."""
    component_statuses = dict(component_statuses or {})
    _validate(name, status, body, component_statuses)
    if status == IncidentStatus.POSTMORTEM:
        raise ServiceError("A new incident cannot start in postmortem.", field="status")
    if page is None and component_statuses:
        page = next(iter(component_statuses)).page_id
    with transaction.atomic():
        owner = page_lock(page)
        when = resolve_at(at)
        if at is not None:
            check_log_order([c.id for c in component_statuses], when)
        incident = Incident.objects.create(
            page=owner,
            name=name.strip(),
            status=IncidentStatus.INVESTIGATING,
            impact_override=impact_override or None,
            started_at=when,
            created_at=when,
            updated_at=when,
            backfilled=backfilled,
        )
        audit_record(
            actor=actor,
            action="incident.create",
            obj=incident,
            after=audit_snapshot(incident, _AUDIT_FIELDS),
        )
        _apply_update(
            incident,
            status=status,
            body=body,
            component_statuses=component_statuses,
            notify=notify,
            actor=actor,
            at=when,
            kind=EventKind.INCIDENT_CREATED,
        )
    return incident


def incident_update_post(
    *,
    incident: Incident,
    status: str,
    body: str,
    actor: Actor,
    component_statuses: ComponentStatuses | None = None,
    notify: bool = True,
    at: datetime | None = None,
    impact_override: str | None = None,
) -> IncidentUpdate:
    """Post an update; it may change the status, the impact override and component statuses.
    Resolving returns each component to what it would be without this incident."""
    component_statuses = dict(component_statuses or {})
    _validate(incident.name, status, body, component_statuses)
    with transaction.atomic():
        page_lock(incident.page_id)
        incident = Incident.objects.get(pk=incident.pk)
        when = resolve_at(at)
        if at is not None:
            covered = IncidentComponent.objects.filter(incident=incident)
            check_log_order(
                {c.id for c in component_statuses}
                | set(covered.values_list("component_id", flat=True)),
                when,
            )
        if when < incident.started_at:
            raise ServiceError("An update cannot predate its incident.", field="at")
        if impact_override is not None:
            incident.impact_override = impact_override or None
        resolving = status not in OPEN_INCIDENT_STATUSES and incident.is_open
        kind = EventKind.INCIDENT_RESOLVED if resolving else EventKind.INCIDENT_UPDATED
        return _apply_update(
            incident,
            status=status,
            body=body,
            component_statuses=component_statuses,
            notify=notify,
            actor=actor,
            at=when,
            kind=kind,
        )


def incident_resolve(
    *, incident: Incident, body: str, actor: Actor, notify: bool = True, at: datetime | None = None
) -> IncidentUpdate:
    return incident_update_post(
        incident=incident,
        status=IncidentStatus.RESOLVED,
        body=body,
        actor=actor,
        notify=notify,
        at=at,
    )


def incident_reopen(
    *,
    incident: Incident,
    status: str,
    body: str,
    actor: Actor,
    component_statuses: ComponentStatuses | None = None,
    notify: bool = True,
) -> IncidentUpdate:
    """Reopen a resolved incident: back to an open status, its components imposed again.

    Subscribers hear it as an update (Statuspage has no "reopened" event); the audit log names
    it, since a reopening is what an operator looks for afterwards.
    """
    component_statuses = dict(component_statuses or {})
    if status not in OPEN_INCIDENT_STATUSES:
        raise ServiceError("Reopen to investigating, identified or monitoring.", field="status")
    _validate(incident.name, status, body, component_statuses)
    with transaction.atomic():
        page_lock(incident.page_id)
        incident = Incident.objects.get(pk=incident.pk)
        if incident.is_open:
            raise ServiceError("This incident is open: post an update instead.")
        return _apply_update(
            incident,
            status=status,
            body=body,
            component_statuses=component_statuses,
            notify=notify,
            actor=actor,
            at=timezone.now(),
            kind=EventKind.INCIDENT_UPDATED,
            audit_action="incident.reopened",
        )


def _own_page_only(incident: Incident, component_statuses: Mapping[Component, str]) -> None:
    if any(c.page_id != incident.page_id for c in component_statuses):
        raise ServiceError(
            "An incident covers components of its own page only.", field="components"
        )


def _announce(
    incident: Incident,
    update: IncidentUpdate,
    *,
    kind: str,
    notify: bool,
    affected_ids: Collection[int],
    changes: dict[int, tuple[str, str]],
    calendars: bool,
) -> None:
    """Names what an update changed on the public face (statuspage/publish/scope.py), then
    tells the rest of the system (notifications, the publisher) through its event.

    `calendars`: whether the components' calendars move. They name the incident, its impact
    and its span on each day: an update that moves neither its status, its impact nor a
    component's, nor covers a new one, leaves them as they were (those of components that are
    down follow the clock anyway)."""
    public_ids = dict(Component.objects.filter(id__in=affected_ids).values_list("id", "public_id"))
    public_changed(
        Touched(
            incidents=(incident.public_id,),
            components=tuple(public_ids.values()) if calendars else (),
            # An update that moves no status changes no other incident's page nor a badge.
            moved=tuple(public_ids[c] for c in changes if c in public_ids),
            face=calendars,
        ),
        page=incident.page_id,
    )
    events.publish(
        DomainEvent(
            kind=kind,
            notify=notify,
            incident_id=incident.id,
            incident_update_id=update.id,
            component_ids=tuple(sorted(affected_ids)),
        )
    )


def _apply_update(
    incident: Incident,
    *,
    status: str,
    body: str,
    component_statuses: dict[Component, str],
    notify: bool,
    actor: Actor,
    at: datetime,
    kind: str,
    audit_action: str | None = None,
) -> IncidentUpdate:
    _own_page_only(incident, component_statuses)
    before = audit_snapshot(incident, _AUDIT_FIELDS)
    resolved_before = incident.resolved_at
    status_before, impact_before = incident.status, incident.computed_impact
    touched = {c.id: c for c in component_statuses}
    affected_ids, added = _impose_components(incident, component_statuses)
    _set_status(incident, status, at)
    incident.updated_at = at
    incident.save()
    changes = recompute_components(
        affected_ids,
        at=at,
        source=source_for(actor, ChangeSource.INCIDENT),
        actor=actor,
        incident_id=incident.id,
    )
    update = IncidentUpdate.objects.create(
        incident=incident,
        status=status,
        body=body.strip(),
        display_at=at,
        created_at=at,
        updated_at=at,
        deliver_notifications=notify,
        affected_components=_affected_snapshot(touched, changes) or None,
    )
    if _rewrites_past_days(incident, added=added, resolved_before=resolved_before):
        history_changed(incident.page_id)
    audit_record(
        actor=actor,
        action=audit_action or f"incident.{kind.split('.')[1]}",
        obj=incident,
        before=before,
        after=audit_snapshot(incident, _AUDIT_FIELDS),
    )
    moved_face = status != status_before or incident.computed_impact != impact_before
    _announce(
        incident,
        update,
        kind=kind,
        notify=notify,
        affected_ids=affected_ids,
        changes=changes,
        calendars=moved_face or bool(added or changes),
    )
    return update


def _impose_components(
    incident: Incident, component_statuses: dict[Component, str]
) -> tuple[set[int], bool]:
    """Record what this update imposes on components; returns every component it covers, and
    whether a component was added to the incident.

    All of them, not only those named now, need recomputing when the incident opens or closes.
    The caller saves the incident (its impact is set here).
    """
    added = False
    for component, component_status in component_statuses.items():
        _row, created = IncidentComponent.objects.update_or_create(
            incident=incident, component=component, defaults={"status": component_status}
        )
        added = added or created
    imposed = IncidentComponent.objects.filter(incident=incident)
    incident.computed_impact = impact_for_statuses(
        imposed.values_list("status", flat=True), previous=incident.computed_impact
    )
    return set(imposed.values_list("component_id", flat=True)), added


def _rewrites_past_days(
    incident: Incident, *, added: bool, resolved_before: datetime | None
) -> bool:
    """Whether an update changes days already over: each lists, by component, the incidents
    open on it, so a component added to an incident that began before today, or a resolution
    moved across today's midnight (a reopening, a backdated resolution), changes them."""
    if added and before_today(incident.started_at, incident.page_id):
        return True
    if resolved_before == incident.resolved_at:
        return False
    return any(
        before_today(m, incident.page_id)
        for m in (resolved_before, incident.resolved_at)
        if m is not None
    )


def _set_status(incident: Incident, status: str, at: datetime) -> None:
    incident.status = status
    if status == IncidentStatus.MONITORING and incident.monitoring_at is None:
        incident.monitoring_at = at
    if status in OPEN_INCIDENT_STATUSES:
        incident.resolved_at = None  # reopening is allowed
    elif incident.resolved_at is None:
        incident.resolved_at = at


def _affected_snapshot(
    touched: dict[int, Component], changes: dict[int, tuple[str, str]]
) -> list[AffectedComponent]:
    """What the update did to components, in Statuspage's affected_components shape."""
    ids = set(touched) | set(changes)
    rows: list[AffectedComponent] = []
    for component in Component.objects.filter(id__in=ids).order_by("position", "id"):
        old, new = changes.get(component.id, (component.status, component.status))
        rows.append(
            {
                "code": component.public_id,
                "name": component.name,
                "old_status": old,
                "new_status": new,
            }
        )
    return rows


def incident_update_edit(
    *,
    update: IncidentUpdate,
    body: str | None,
    actor: Actor,
    display_at: datetime | None = None,
    deliver_notifications: bool | None = None,
) -> IncidentUpdate:
    """Correct an update's text, its displayed time or its notification flag (no notification
    is sent: the event already went out). None leaves a field as it is."""
    if body is not None and not body.strip():
        raise ServiceError("An update needs a message.", field="body")
    if display_at is not None:
        if timezone.is_naive(display_at):
            raise ServiceError("A time must carry its time zone.", field="display_at")
        if display_at > timezone.now() + FUTURE_SKEW:
            raise ServiceError("That time is in the future.", field="display_at")
    with transaction.atomic():
        page_lock(update.incident.page_id)
        update = IncidentUpdate.objects.select_related("incident").get(pk=update.pk)
        if display_at is not None and display_at < update.incident.started_at:
            raise ServiceError("An update cannot predate its incident.", field="display_at")
        # The audit entry names only what this edit may change.
        given = {
            "body": body,
            "display_at": display_at,
            "deliver_notifications": deliver_notifications,
        }
        fields = tuple(name for name, value in given.items() if value is not None)
        before = audit_snapshot(update, fields)
        if body is not None:
            update.body = body.strip()
        if display_at is not None:
            update.display_at = display_at
        if deliver_notifications is not None:
            update.deliver_notifications = deliver_notifications
        update.updated_at = timezone.now()
        update.save(update_fields=[*fields, "updated_at"])
        audit_record(
            actor=actor,
            action="incident_update.edit",
            obj=update,
            before=before,
            after=audit_snapshot(update, fields),
        )
        public_changed(
            Touched(incidents=(update.incident.public_id,)), page=update.incident.page_id
        )
    return update


def incident_edit(
    *,
    incident: Incident,
    actor: Actor,
    name: str | None = None,
    impact_override: str | None | EllipsisType = ...,
) -> Incident:
    """Rename an incident or change its impact override (None clears it); no update is posted
    and nobody is notified. Leaving an argument out leaves the field as it is."""
    if name is not None and not name.strip():
        raise ServiceError("An incident needs a name.", field="name")
    if name is not None and len(name.strip()) > 200:
        raise ServiceError("The name is too long (at most 200 characters).", field="name")
    if impact_override not in (..., None) and (
        impact_override not in Impact.values or impact_override == Impact.MAINTENANCE
    ):
        raise ServiceError(f"Unknown impact {impact_override!r}.", field="impact_override")
    with transaction.atomic():
        page_lock(incident.page_id)
        incident = Incident.objects.get(pk=incident.pk)
        before = audit_snapshot(incident, _AUDIT_FIELDS)
        if name is not None:
            incident.name = name.strip()
        if impact_override is not ...:
            incident.impact_override = impact_override or None
        incident.updated_at = timezone.now()
        incident.save()
        audit_record(
            actor=actor,
            action="incident.edit",
            obj=incident,
            before=before,
            after=audit_snapshot(incident, _AUDIT_FIELDS),
        )
        # The name and impact show in the finished days' cells the incident touched.
        history_changed(incident.page_id)
        public_changed(page=incident.page_id)
    return incident


def incident_delete(*, incident: Incident, actor: Actor) -> None:
    """Delete an incident and its updates. The components it covered return to what they would
    be without it (logged as a change now); their past status log is kept."""
    with transaction.atomic():
        page_lock(incident.page_id)
        incident = Incident.objects.get(pk=incident.pk)
        component_ids = list(
            IncidentComponent.objects.filter(incident=incident).values_list(
                "component_id", flat=True
            )
        )
        audit_record(
            actor=actor,
            action="incident.delete",
            obj=incident,
            before=audit_snapshot(incident, _AUDIT_FIELDS),
        )
        incident.delete()
        recompute_components(
            component_ids,
            at=timezone.now(),
            source=source_for(actor, ChangeSource.INCIDENT),
            actor=actor,
        )
        # Its past days keep their logged downtime but no longer name it.
        history_changed(incident.page_id)
        public_changed(page=incident.page_id)


def postmortem_save_draft(*, incident: Incident, body: str, actor: Actor) -> Incident:
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        before = {"postmortem_draft": incident.postmortem_draft}
        incident.postmortem_draft = body.strip()
        incident.save(update_fields=["postmortem_draft"])
        audit_record(
            actor=actor,
            action="postmortem.draft",
            obj=incident,
            before=before,
            after={"postmortem_draft": incident.postmortem_draft},
        )
    return incident


def postmortem_publish(*, incident: Incident, actor: Actor, notify: bool = True) -> Incident:
    """Publish the draft. Only a resolved incident has a postmortem."""
    with transaction.atomic():
        page_lock(incident.page_id)
        incident = Incident.objects.get(pk=incident.pk)
        if incident.is_open:
            raise ServiceError("Resolve the incident before publishing its postmortem.")
        if not incident.postmortem_draft.strip():
            raise ServiceError("The postmortem draft is empty.", field="postmortem_draft")
        now = timezone.now()
        incident.postmortem_body = incident.postmortem_draft
        incident.postmortem_published_at = now
        incident.status = IncidentStatus.POSTMORTEM
        incident.updated_at = now
        incident.save()
        audit_record(
            actor=actor,
            action="postmortem.publish",
            obj=incident,
            after={"postmortem_published_at": now.isoformat()},
        )
        public_changed(Touched(incidents=(incident.public_id,)), page=incident.page_id)
        events.publish(
            DomainEvent(
                kind=EventKind.POSTMORTEM_PUBLISHED,
                notify=notify,
                incident_id=incident.id,
                component_ids=tuple(
                    IncidentComponent.objects.filter(incident=incident).values_list(
                        "component_id", flat=True
                    )
                ),
            )
        )
    return incident
