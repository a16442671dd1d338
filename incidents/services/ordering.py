"""Reordering components and groups on the page (up/down by one place)."""

from __future__ import annotations

from django.db import transaction

from incidents.errors import ServiceError
from incidents.models import Component, ComponentGroup
from incidents.services.common import (
    Actor,
    audit_record,
    page_lock,
    public_changed,
)


def _siblings(obj: Component | ComponentGroup) -> list[Component | ComponentGroup]:
    """The entries `obj` is ordered among, in page order.

    Components in a group are ordered among themselves. Groups and ungrouped components share
    the top level, sorted as selectors.component_tree sorts them (a group first on a tie)."""
    if isinstance(obj, Component) and obj.group_id is not None:
        return list(Component.objects.filter(group_id=obj.group_id).order_by("position", "id"))
    entries: list[Component | ComponentGroup] = [
        *ComponentGroup.objects.filter(page=obj.page_id),
        *Component.objects.filter(group__isnull=True, page=obj.page_id),
    ]
    return sorted(
        entries,
        key=lambda e: (e.position, 0 if isinstance(e, ComponentGroup) else 1, e.id),
    )


def page_entry_move(*, entry: Component | ComponentGroup, direction: str, actor: Actor) -> None:
    """Swap a component or group with its neighbour. Positions of the siblings are renumbered
    0..n-1 first, so ties left by earlier edits or imports cannot make a move a no-op."""
    if direction not in ("up", "down"):
        raise ServiceError("Move up or down.", field="direction")
    with transaction.atomic():
        page_lock(entry.page_id)
        entries = _siblings(type(entry).objects.get(pk=entry.pk))
        index = next(
            i for i, e in enumerate(entries) if type(e) is type(entry) and e.pk == entry.pk
        )
        other = index - 1 if direction == "up" else index + 1
        if not 0 <= other < len(entries):
            return
        entries[index], entries[other] = entries[other], entries[index]
        for position, item in enumerate(entries):
            if item.position != position:
                type(item).objects.filter(pk=item.pk).update(position=position)
        audit_record(
            actor=actor,
            action=f"{entry._meta.model_name}.move",
            obj=entry,
            after={"direction": direction},
        )
        public_changed(page=entry.page_id)
