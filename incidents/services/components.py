"""Component and group writes, and manual/automated status changes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import TypeVar

from django.db import transaction
from django.db.models import Max, QuerySet
from django.utils import timezone

from incidents import events
from incidents.enums import ChangeSource, ComponentStatus
from incidents.errors import ServiceError
from incidents.events import DomainEvent, EventKind, Touched
from incidents.models import Component, ComponentGroup, ComponentStatusChange
from incidents.services.common import (
    Actor,
    PageRef,
    audit_record,
    audit_snapshot,
    check_log_order,
    page_lock,
    public_changed,
    recompute_components,
    resolve_at,
    source_for,
)

_COMPONENT_FIELDS = (
    "name",
    "description",
    "group_id",
    "position",
    "showcase",
    "only_show_if_degraded",
    "start_date",
)
_GROUP_FIELDS = ("name", "description", "position", "collapsed")

# What _edit changes: a component or a group (each returned as the type it was given).
_Entry = TypeVar("_Entry", Component, ComponentGroup)


def _next_position(queryset: QuerySet[Component] | QuerySet[ComponentGroup]) -> int:
    top: int | None = queryset.aggregate(top=Max("position"))["top"]
    return (top or 0) + 1


def component_group_create(
    *,
    name: str,
    actor: Actor,
    description: str = "",
    position: int | None = None,
    collapsed: bool = False,
    page: PageRef | None = None,
) -> ComponentGroup:
    """A new group at the end of the page (None: the default page)."""
    if not name or not name.strip():
        raise ServiceError("A group needs a name.", field="name")
    with transaction.atomic():
        owner = page_lock(page)
        group = ComponentGroup.objects.create(
            page=owner,
            name=name.strip(),
            description=description,
            collapsed=collapsed,
            position=(
                position
                if position is not None
                else _next_position(ComponentGroup.objects.filter(page=owner))
            ),
        )
        audit_record(
            actor=actor,
            action="component_group.create",
            obj=group,
            after=audit_snapshot(group, _GROUP_FIELDS),
        )
        public_changed(page=owner)
    return group


def component_create(
    *,
    name: str,
    actor: Actor,
    group: ComponentGroup | None = None,
    description: str = "",
    status: str = ComponentStatus.OPERATIONAL,
    position: int | None = None,
    showcase: bool = True,
    only_show_if_degraded: bool = False,
    start_date: date | None = None,
    created_at: datetime | None = None,
    page: PageRef | None = None,
) -> Component:
    """A new component of the page (None: the group's page, else the default page)."""
    if not name or not name.strip():
        raise ServiceError("A component needs a name.", field="name")
    _check_settable(status)
    if page is None and group is not None:
        page = group.page_id
    with transaction.atomic():
        owner = page_lock(page)
        if group is not None and group.page_id != owner.pk:
            raise ServiceError("That group belongs to another page.", field="group")
        siblings = Component.objects.filter(group=group, page=owner)
        when = created_at or timezone.now()
        by_hand = status == ComponentStatus.UNDER_MAINTENANCE
        component = Component.objects.create(
            page=owner,
            name=name.strip(),
            group=group,
            description=description,
            status=status,
            # Created under maintenance: by hand, over an operational base status.
            base_status=ComponentStatus.OPERATIONAL if by_hand else status,
            maintenance_by_hand=by_hand,
            showcase=showcase,
            only_show_if_degraded=only_show_if_degraded,
            start_date=start_date,
            created_at=when,
            updated_at=when,
            position=position if position is not None else _next_position(siblings),
        )
        audit_record(
            actor=actor,
            action="component.create",
            obj=component,
            after=audit_snapshot(component, _COMPONENT_FIELDS),
        )
        public_changed(page=owner)
    return component


def component_update(*, component: Component, actor: Actor, **fields: object) -> Component:
    """Change a component's descriptive fields (not its status: see component_status_set)."""
    return _edit(
        component,
        fields,
        actor=actor,
        audit_fields=_COMPONENT_FIELDS,
        allowed=set(_COMPONENT_FIELDS) - {"group_id"} | {"group"},
        action="component.update",
        noun="A component",
    )


def _edit(
    obj: _Entry,
    fields: Mapping[str, object],
    *,
    actor: Actor,
    audit_fields: Iterable[str],
    allowed: set[str],
    action: str,
    noun: str,
) -> _Entry:
    """Set some descriptive fields of a component or group, audited, in one transaction."""
    unknown = set(fields) - allowed
    if unknown:
        raise ServiceError(f"Cannot change {', '.join(sorted(unknown))} here.")
    if "name" in fields:
        name = fields["name"]
        if not isinstance(name, str) or not name.strip():
            raise ServiceError(f"{noun} needs a name.", field="name")
    with transaction.atomic():
        page_lock(obj.page_id)
        obj = type(obj).objects.get(pk=obj.pk)
        before = audit_snapshot(obj, audit_fields)
        for name, value in fields.items():
            setattr(obj, name, value)
        obj.updated_at = timezone.now()
        obj.save()
        audit_record(
            actor=actor,
            action=action,
            obj=obj,
            before=before,
            after=audit_snapshot(obj, audit_fields),
        )
        public_changed(page=obj.page_id)
    return obj


def _check_settable(status: str) -> None:
    if status not in ComponentStatus.values:
        raise ServiceError(f"Unknown component status {status!r}.", field="status")


def component_status_set(
    *,
    component: Component,
    status: str,
    actor: Actor,
    at: datetime | None = None,
    notify: bool = False,
) -> Component:
    """Set a component's own (base) status, by hand or from monitoring.

    Open incidents and running maintenance still apply on top: the public status is the worst
    of all of them, and the base status is what remains when they end.

    `under_maintenance` puts the component under maintenance by hand, as Statuspage allows: it
    shows in place of the base status, which stays beneath (see component_maintenance_end). Any
    other status from a person (dashboard, API, import) ends that maintenance and becomes the
    base status: it is what they say the component is now. Monitoring neither starts nor ends
    it: its reports change only the status beneath, as during a maintenance window.
    """
    _check_settable(status)
    automation = source_for(actor, ChangeSource.MANUAL) == ChangeSource.AUTOMATION
    if status == ComponentStatus.UNDER_MAINTENANCE:
        if automation:
            raise ServiceError(
                "Monitoring cannot put a component under maintenance: an operator does, or a "
                "maintenance window.",
                field="status",
            )
        change: dict[str, object] = {"maintenance_by_hand": True}
    else:
        change = {"base_status": status}
        if not automation:
            change["maintenance_by_hand"] = False
    return _status_write(component=component, change=change, actor=actor, at=at, notify=notify)


def component_maintenance_end(
    *, component: Component, actor: Actor, at: datetime | None = None, notify: bool = False
) -> Component:
    """End a maintenance set by hand: the component shows what lies beneath again (its base
    status, open incidents, a running window), like the end of a maintenance window."""
    component = Component.objects.get(pk=component.pk)
    if not component.maintenance_by_hand:
        raise ServiceError(f"{component.name} is not under maintenance set by hand.")
    return _status_write(
        component=component,
        change={"maintenance_by_hand": False},
        actor=actor,
        at=at,
        notify=notify,
    )


_STATUS_FIELDS = ("base_status", "maintenance_by_hand", "status")


def _status_write(
    *,
    component: Component,
    change: Mapping[str, object],
    actor: Actor,
    at: datetime | None,
    notify: bool,
) -> Component:
    """Write a component's own status fields, recompute what it shows, log and audit it, and
    announce a change of the public status: one transaction."""
    with transaction.atomic():
        page_lock(component.page_id)
        component = Component.objects.get(pk=component.pk)
        when = resolve_at(at)
        if at is not None:
            check_log_order([component.id], when)
        before = audit_snapshot(component, _STATUS_FIELDS)
        Component.objects.filter(pk=component.pk).update(**change, updated_at=when)
        changes = recompute_components(
            [component.id], at=when, source=source_for(actor, ChangeSource.MANUAL), actor=actor
        )
        component.refresh_from_db()
        audit_record(
            actor=actor,
            action="component.status",
            obj=component,
            before=before,
            after=audit_snapshot(component, _STATUS_FIELDS),
        )
        public_changed(Touched(components=(component.public_id,)), page=component.page_id)
        if changes:
            change_ids = tuple(
                ComponentStatusChange.objects.filter(component=component, at=when).values_list(
                    "id", flat=True
                )
            )
            events.publish(
                DomainEvent(
                    kind=EventKind.COMPONENT_STATUS_CHANGED,
                    notify=notify,
                    component_ids=(component.id,),
                    status_change_ids=change_ids,
                )
            )
    return component


def component_delete(*, component: Component, actor: Actor) -> None:
    with transaction.atomic():
        page_lock(component.page_id)
        audit_record(
            actor=actor,
            action="component.delete",
            obj=component,
            before=audit_snapshot(component, _COMPONENT_FIELDS),
        )
        page_id = component.page_id
        component.delete()
        public_changed(page=page_id)


def component_group_update(
    *, group: ComponentGroup, actor: Actor, **fields: object
) -> ComponentGroup:
    return _edit(
        group,
        fields,
        actor=actor,
        audit_fields=_GROUP_FIELDS,
        allowed=set(_GROUP_FIELDS),
        action="component_group.update",
        noun="A group",
    )


def component_group_delete(*, group: ComponentGroup, actor: Actor) -> None:
    """Delete a group; its components stay, ungrouped (they keep their statuses and history)."""
    with transaction.atomic():
        page_lock(group.page_id)
        group = ComponentGroup.objects.get(pk=group.pk)
        before = audit_snapshot(group, _GROUP_FIELDS)
        before["components"] = list(group.components.values_list("public_id", flat=True))
        audit_record(actor=actor, action="component_group.delete", obj=group, before=before)
        page_id = group.page_id
        group.delete()
        public_changed(page=page_id)


def component_group_set_members(
    *, group: ComponentGroup, components: Iterable[Component], actor: Actor
) -> ComponentGroup:
    """Make exactly `components` the members of `group`: newcomers move in (appended in the
    given order), former members not listed leave the group."""
    components = list(components)
    if any(c.page_id != group.page_id for c in components):
        raise ServiceError("A group holds components of its own page only.", field="components")
    with transaction.atomic():
        page_lock(group.page_id)
        group = ComponentGroup.objects.get(pk=group.pk)
        before = list(group.components.values_list("public_id", flat=True))
        wanted = [c.pk for c in components]
        loose = Component.objects.filter(group__isnull=True, page=group.page_id)
        Component.objects.filter(group=group).exclude(pk__in=wanted).update(
            group=None, position=_next_position(loose)
        )
        position = _next_position(Component.objects.filter(group=group))
        now = timezone.now()
        for component in components:
            if component.group_id != group.pk:
                Component.objects.filter(pk=component.pk).update(
                    group=group, position=position, updated_at=now
                )
                position += 1
        after = list(group.components.values_list("public_id", flat=True))
        if sorted(before) != sorted(after):
            audit_record(
                actor=actor,
                action="component_group.members",
                obj=group,
                before={"components": before},
                after={"components": after},
            )
            public_changed(page=group.page_id)
    return group
