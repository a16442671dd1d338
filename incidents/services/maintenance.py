"""Maintenance writes: schedule, reschedule, start, post updates, complete, cancel, and the
periodic tick that starts, completes and reminds on time."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from incidents import events
from incidents.enums import ACTIVE_MAINTENANCE_STATUSES, ChangeSource, MaintenanceStatus
from incidents.errors import ServiceError
from incidents.events import DomainEvent, EventKind, Touched
from incidents.models import Component, Maintenance, MaintenanceUpdate
from incidents.services.common import (
    SYSTEM,
    Actor,
    PageRef,
    audit_record,
    audit_snapshot,
    check_log_order,
    page_lock,
    public_changed,
    recompute_components,
    resolve_at,
)

_AUDIT_FIELDS = ("name", "status", "scheduled_for", "scheduled_until", "cancelled_at")


def _check_window(scheduled_for: datetime, scheduled_until: datetime) -> None:
    if scheduled_for is None or scheduled_until is None:
        raise ServiceError("A maintenance window needs a start and an end.", field="scheduled_for")
    if timezone.is_naive(scheduled_for) or timezone.is_naive(scheduled_until):
        raise ServiceError("Window times must carry their time zone.", field="scheduled_for")
    if scheduled_until <= scheduled_for:
        raise ServiceError("The window must end after it starts.", field="scheduled_until")


def maintenance_schedule(
    *,
    name: str,
    scheduled_for: datetime,
    scheduled_until: datetime,
    components: Iterable[Component],
    actor: Actor,
    body: str = "",
    auto_start: bool = True,
    auto_complete: bool = True,
    remind_before_minutes: int | None = None,
    notify: bool = True,
    page: PageRef | None = None,
) -> Maintenance:
    """Schedule a window on the page (None: the components' page, else the default page)."""
    if not name or not name.strip():
        raise ServiceError("A maintenance needs a name.", field="name")
    _check_window(scheduled_for, scheduled_until)
    if remind_before_minutes is not None and remind_before_minutes <= 0:
        raise ServiceError(
            "Remind a positive number of minutes before.", field="remind_before_minutes"
        )
    components = list(components)
    if page is None and components:
        page = components[0].page_id
    with transaction.atomic():
        owner = page_lock(page)
        if any(c.page_id != owner.pk for c in components):
            raise ServiceError(
                "A maintenance covers components of its own page only.", field="components"
            )
        maintenance = Maintenance.objects.create(
            page=owner,
            name=name.strip(),
            scheduled_for=scheduled_for,
            scheduled_until=scheduled_until,
            auto_start=auto_start,
            auto_complete=auto_complete,
            remind_before_minutes=remind_before_minutes,
        )
        maintenance.components.set(components)
        audit_record(
            actor=actor,
            action="maintenance.schedule",
            obj=maintenance,
            after=audit_snapshot(maintenance, _AUDIT_FIELDS),
        )
        _post(
            maintenance,
            MaintenanceStatus.SCHEDULED,
            body or f"{maintenance.name} is scheduled.",
            notify,
            EventKind.MAINTENANCE_SCHEDULED,
        )
    return maintenance


def maintenance_reschedule(
    *,
    maintenance: Maintenance,
    scheduled_for: datetime,
    scheduled_until: datetime,
    actor: Actor,
    body: str = "",
    notify: bool = True,
) -> Maintenance:
    _check_window(scheduled_for, scheduled_until)
    with transaction.atomic():
        page_lock(maintenance.page_id)
        maintenance = Maintenance.objects.get(pk=maintenance.pk)
        if maintenance.status == MaintenanceStatus.COMPLETED:
            raise ServiceError("A finished maintenance cannot be rescheduled.")
        if maintenance.is_active and scheduled_for != maintenance.scheduled_for:
            raise ServiceError(
                "A running maintenance can only change its end.", field="scheduled_for"
            )
        before = audit_snapshot(maintenance, _AUDIT_FIELDS)
        maintenance.scheduled_for, maintenance.scheduled_until = scheduled_for, scheduled_until
        maintenance.reminded_at = None  # a new start deserves a new reminder
        maintenance.save()
        audit_record(
            actor=actor,
            action="maintenance.reschedule",
            obj=maintenance,
            before=before,
            after=audit_snapshot(maintenance, _AUDIT_FIELDS),
        )
        _post(
            maintenance,
            maintenance.status,
            body or f"Rescheduled: {_window_text(maintenance)}.",
            notify,
            EventKind.MAINTENANCE_RESCHEDULED,
        )
    return maintenance


def maintenance_start(
    *,
    maintenance: Maintenance,
    actor: Actor,
    body: str = "",
    notify: bool = True,
    at: datetime | None = None,
) -> Maintenance:
    return _transition(
        maintenance,
        MaintenanceStatus.IN_PROGRESS,
        actor=actor,
        notify=notify,
        at=at,
        body=body or "Maintenance is in progress.",
        allowed=(MaintenanceStatus.SCHEDULED,),
        kind=EventKind.MAINTENANCE_STARTED,
    ).maintenance


def maintenance_update_post(
    *, maintenance: Maintenance, status: str, body: str, actor: Actor, notify: bool = True
) -> MaintenanceUpdate:
    """Post an update to a running window (in_progress or verifying)."""
    if status not in ACTIVE_MAINTENANCE_STATUSES:
        raise ServiceError(
            "Updates here are in_progress or verifying; use complete or cancel.", field="status"
        )
    if not body or not body.strip():
        raise ServiceError("An update needs a message.", field="body")
    return _transition(
        maintenance,
        status,
        actor=actor,
        notify=notify,
        at=None,
        body=body,
        allowed=ACTIVE_MAINTENANCE_STATUSES,
        kind=EventKind.MAINTENANCE_UPDATED,
    )


def maintenance_complete(
    *,
    maintenance: Maintenance,
    actor: Actor,
    body: str = "",
    notify: bool = True,
    at: datetime | None = None,
) -> Maintenance:
    return _transition(
        maintenance,
        MaintenanceStatus.COMPLETED,
        actor=actor,
        notify=notify,
        at=at,
        body=body or "Maintenance has completed.",
        allowed=ACTIVE_MAINTENANCE_STATUSES,
        kind=EventKind.MAINTENANCE_COMPLETED,
    ).maintenance


def maintenance_cancel(
    *, maintenance: Maintenance, actor: Actor, body: str = "", notify: bool = True
) -> Maintenance:
    return _transition(
        maintenance,
        MaintenanceStatus.COMPLETED,
        actor=actor,
        notify=notify,
        at=None,
        body=body or "This maintenance has been cancelled.",
        allowed=(MaintenanceStatus.SCHEDULED, *ACTIVE_MAINTENANCE_STATUSES),
        kind=EventKind.MAINTENANCE_CANCELLED,
    ).maintenance


def _transition(
    maintenance: Maintenance,
    status: str,
    *,
    actor: Actor,
    notify: bool,
    at: datetime | None,
    body: str,
    allowed: Iterable[str],
    kind: str,
) -> MaintenanceUpdate:
    """Move the window to `status` and post the update that says so; returns the update
    (its `maintenance` is the window as saved)."""
    with transaction.atomic():
        page_lock(maintenance.page_id)
        maintenance = Maintenance.objects.get(pk=maintenance.pk)
        if maintenance.status not in allowed:
            raise ServiceError(
                f"This maintenance is {maintenance.get_status_display().lower()}; "
                f"it cannot become {MaintenanceStatus(status).label.lower()}.",
                field="status",
            )
        when = resolve_at(at)
        component_ids = list(maintenance.components.values_list("id", flat=True))
        if at is not None:
            check_log_order(component_ids, when)
        before = audit_snapshot(maintenance, _AUDIT_FIELDS)
        maintenance.status = status
        if status == MaintenanceStatus.IN_PROGRESS and maintenance.started_at is None:
            maintenance.started_at = when
        if status == MaintenanceStatus.COMPLETED:
            maintenance.completed_at = when
            if kind == EventKind.MAINTENANCE_CANCELLED:
                maintenance.cancelled_at = when
        maintenance.updated_at = when
        maintenance.save()
        recompute_components(
            component_ids,
            at=when,
            source=ChangeSource.MAINTENANCE,
            actor=actor,
            maintenance_id=maintenance.id,
        )
        audit_record(
            actor=actor,
            action=kind,
            obj=maintenance,
            before=before,
            after=audit_snapshot(maintenance, _AUDIT_FIELDS),
        )
        return _post(maintenance, status, body, notify, kind, at=when)


def _post(
    maintenance: Maintenance,
    status: str,
    body: str,
    notify: bool,
    kind: str,
    at: datetime | None = None,
) -> MaintenanceUpdate:
    at = at or timezone.now()
    update = MaintenanceUpdate.objects.create(
        maintenance=maintenance,
        status=status,
        body=body.strip(),
        display_at=at,
        created_at=at,
        updated_at=at,
        deliver_notifications=notify,
    )
    public_changed(
        Touched(
            maintenance=(maintenance.public_id,),
            components=tuple(maintenance.components.values_list("public_id", flat=True)),
            # A window set or moved changes its place in the listings.
            listings=kind in (EventKind.MAINTENANCE_SCHEDULED, EventKind.MAINTENANCE_RESCHEDULED),
        ),
        page=maintenance.page_id,
    )
    events.publish(
        DomainEvent(
            kind=kind,
            notify=notify,
            maintenance_id=maintenance.id,
            maintenance_update_id=update.id,
            component_ids=tuple(maintenance.components.values_list("id", flat=True)),
        )
    )
    return update


def _window_text(maintenance: Maintenance) -> str:
    start, end = maintenance.scheduled_for, maintenance.scheduled_until
    return f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC"


def maintenance_run_due(*, now: datetime | None = None) -> dict[str, list[int]]:
    """The periodic tick: start, complete and remind windows that are due. Idempotent."""
    now = now or timezone.now()
    done: dict[str, list[int]] = {"started": [], "completed": [], "reminded": []}
    for m in Maintenance.objects.filter(
        status=MaintenanceStatus.SCHEDULED, auto_start=True, scheduled_for__lte=now
    ):
        maintenance_start(maintenance=m, actor=SYSTEM, at=max(m.scheduled_for, _last_log_time(m)))
        done["started"].append(m.id)
    for m in Maintenance.objects.filter(
        status__in=ACTIVE_MAINTENANCE_STATUSES, auto_complete=True, scheduled_until__lte=now
    ):
        maintenance_complete(maintenance=m, actor=SYSTEM)
        done["completed"].append(m.id)
    for m in Maintenance.objects.filter(
        status=MaintenanceStatus.SCHEDULED,
        remind_before_minutes__isnull=False,
        reminded_at__isnull=True,
        scheduled_for__gt=now,
    ):
        if m.remind_before_minutes is None:  # excluded by the query
            continue
        if m.scheduled_for - timedelta(minutes=m.remind_before_minutes) <= now:
            _remind(m, now)
            done["reminded"].append(m.id)
    return done


def _last_log_time(maintenance: Maintenance) -> datetime:
    """Start a late-ticked window at its scheduled time unless the log has moved on since."""
    from incidents.models import ComponentStatusChange

    last = (
        ComponentStatusChange.objects.filter(component__in=maintenance.components.all())
        .order_by("-at")
        .values_list("at", flat=True)
        .first()
    )
    return last or maintenance.scheduled_for


def _remind(maintenance: Maintenance, now: datetime) -> None:
    with transaction.atomic():
        updated = Maintenance.objects.filter(pk=maintenance.pk, reminded_at__isnull=True).update(
            reminded_at=now
        )
        if updated:  # another tick may have reminded first
            events.publish(
                DomainEvent(
                    kind=EventKind.MAINTENANCE_REMINDER,
                    notify=True,
                    maintenance_id=maintenance.id,
                    component_ids=tuple(maintenance.components.values_list("id", flat=True)),
                )
            )


def maintenance_delete(*, maintenance: Maintenance, actor: Actor) -> None:
    """Delete a window and its updates; components it held under maintenance are recomputed."""
    with transaction.atomic():
        page_lock(maintenance.page_id)
        maintenance = Maintenance.objects.get(pk=maintenance.pk)
        component_ids = list(maintenance.components.values_list("id", flat=True))
        audit_record(
            actor=actor,
            action="maintenance.delete",
            obj=maintenance,
            before=audit_snapshot(maintenance, _AUDIT_FIELDS),
        )
        maintenance.delete()
        recompute_components(
            component_ids, at=timezone.now(), source=ChangeSource.MAINTENANCE, actor=actor
        )
        public_changed(page=maintenance.page_id)
