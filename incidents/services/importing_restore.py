"""After the replay: give imported objects the source's own record, field by field.

The replay (importing.py) runs every update through the services so that the status log and
the objects' states are rebuilt as they would have been here. The services stamp what they
write with their own choices, though: new update ids, the time of the call where no time is
passed, `deliver_notifications` false (an import notifies nobody), one update per transition.
This module then writes what the source says: the page's name, URL, time zone and id, every
update of an incident or maintenance with its id, status, body, times, `affected_components`
and `deliver_notifications`, and the objects' own `created_at` / `updated_at` / `started_at`.
Nothing here changes a component status or the status log, and nothing here notifies.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Model

from incidents.enums import ACTIVE_MAINTENANCE_STATUSES, IncidentStatus, MaintenanceStatus
from incidents.errors import ServiceError
from incidents.models import (
    Component,
    ComponentGroup,
    Incident,
    IncidentUpdate,
    Maintenance,
    MaintenanceUpdate,
)
from incidents.services import importing_parse as parse
from incidents.services.common import Actor, page_row
from incidents.services.page_settings import page_update

Source = dict[str, Any]
Timed = list[tuple[datetime, Source]]


def page_import(page: object, actor: Actor, report: parse.Report) -> bool:
    """The source page's name, URL and time zone (through the settings service, so its rules
    apply) and its public id, so that ids, shortlinks and timestamps read as they did there.
    False when they were not taken (reported), so the page is then left alone entirely."""
    if not isinstance(page, dict):
        report.problems.append("the source names no page: its name, URL and zone are kept")
        return False
    fields = {
        key: page[key]
        for key in ("name", "url", "time_zone")
        if isinstance(page.get(key), str) and page[key]
    }
    try:
        page_update(actor=actor, **fields)
    except ServiceError as exc:
        report.problems.append(f"page settings not imported: {exc.message}")
        return False
    source_id = page.get("id")
    if isinstance(source_id, str) and parse.PUBLIC_ID.match(source_id):
        page_row().update(public_id=source_id)
    return True


def page_time_restore(page: object) -> None:
    """Last of all: the page's `updated_at` as the source has it (every write of the import
    moved it to the time of the import)."""
    if isinstance(page, dict) and (at := parse.when(page.get("updated_at"))):
        page_row().update(updated_at=at)


def component_times_restore(
    rows: list[Source], groups: dict[str, ComponentGroup], components: dict[str, Component]
) -> None:
    """The `created_at` / `updated_at` of each group and component as the source has them."""
    targets: dict[str, tuple[type[Model], int]] = {
        **{sid: (ComponentGroup, g.pk) for sid, g in groups.items()},
        **{sid: (Component, c.pk) for sid, c in components.items()},
    }
    for row in rows:
        target = targets.get(row["id"])
        times = {k: v for k in ("created_at", "updated_at") if (v := parse.when(row.get(k)))}
        if target and times:
            model, pk = target
            model._default_manager.filter(pk=pk).update(**times)


def _affected(value: object, components: dict[str, Component]) -> list[Source] | None:
    """The source's `affected_components`, its component codes mapped to the imported
    components' ids (the same ids, unless one was taken here)."""
    if not isinstance(value, list):
        return None
    out = []
    for entry in value:
        if isinstance(entry, dict):
            code = entry.get("code")
            found = components.get(code) if isinstance(code, str) else None
            out.append({**entry, "code": found.public_id if found else code})
    return out


def _updates_restore(
    model: type[IncidentUpdate] | type[MaintenanceUpdate],
    parent: Incident | Maintenance,
    timed: Timed,
    components: dict[str, Component],
    report: parse.Report,
) -> None:
    """Replace the updates the replay wrote with the source's, oldest first (ties keep the
    source's order: the newer row gets the higher key, as the lists sort by it)."""
    noun = "incident" if isinstance(parent, Incident) else "maintenance"
    valid = IncidentStatus.values if isinstance(parent, Incident) else MaintenanceStatus.values
    model._default_manager.filter(**{noun: parent}).delete()
    for at, update in timed:
        status, source_id = update.get("status"), update.get("id")
        if status not in valid:
            report.problems.append(
                f"{noun} {parent.public_id}: update {source_id} has status {status!r}: left out"
            )
            continue
        row = model(
            **{noun: parent},
            status=status,
            body=update.get("body") or "",
            display_at=at,
            created_at=parse.when(update.get("created_at")) or at,
            updated_at=parse.when(update.get("updated_at")) or at,
            deliver_notifications=bool(update.get("deliver_notifications", True)),
            affected_components=_affected(update.get("affected_components"), components),
        )
        if isinstance(source_id, str) and parse.PUBLIC_ID.match(source_id):
            if model._default_manager.filter(public_id=source_id).exists():
                report.problems.append(
                    f"{noun} {parent.public_id}: update id {source_id} is taken here: "
                    "stored under a new id"
                )
            else:
                row.public_id = source_id
        row.save()


def _times(source: Source, *names: str) -> dict[str, datetime | None]:
    """The named times the source gives (a null where it says null), leaving out any it
    gives in a form that cannot be read."""
    out: dict[str, datetime | None] = {}
    for name in names:
        if name in source and (source[name] is None or parse.when(source[name])):
            out[name] = parse.when(source[name])
    return out


def incident_restore(
    incident: Incident,
    source: Source,
    timed: Timed,
    components: dict[str, Component],
    report: parse.Report,
) -> None:
    fields: dict[str, datetime | None] = {
        k: v for k, v in _times(source, "created_at", "updated_at", "started_at").items() if v
    }
    incident.refresh_from_db()
    if incident.status == source.get("status"):
        # Only when the replay ended where the source is: otherwise (an update it had to
        # leave out) the replay's own resolved_at is the one that fits the status.
        fields |= _times(source, "monitoring_at", "resolved_at")
    _saved(
        incident,
        fields,
        lambda: _updates_restore(IncidentUpdate, incident, timed, components, report),
        report,
    )


def maintenance_restore(
    maintenance: Maintenance,
    source: Source,
    timed: Timed,
    components: dict[str, Component],
    report: parse.Report,
) -> None:
    fields: dict[str, datetime | None] = {
        k: v for k, v in _times(source, "created_at", "updated_at").items() if v
    }
    maintenance.refresh_from_db()
    status = maintenance.status
    if status == source.get("status"):
        # A window that has begun started when the source says; one that has not has no
        # start here (the API shows its scheduled start in `started_at`, as the source did).
        started = parse.when(source.get("started_at"))
        if started and status in (*ACTIVE_MAINTENANCE_STATUSES, MaintenanceStatus.COMPLETED):
            fields["started_at"] = started
        ended = parse.when(source.get("resolved_at"))
        if ended and status == MaintenanceStatus.COMPLETED:
            fields["completed_at"] = ended
    _saved(
        maintenance,
        fields,
        lambda: _updates_restore(MaintenanceUpdate, maintenance, timed, components, report),
        report,
    )


def _saved(
    obj: Incident | Maintenance,
    fields: dict[str, datetime | None],
    then: Callable[[], None],
    report: parse.Report,
) -> None:
    """Write the fields, then the updates, each in a savepoint. Times the model's rules refuse
    (an end before the start, an end without a status that ends) are reported and only the
    object's own created_at / updated_at are taken; updates the text checks refuse leave the
    replay's updates in place, reported."""
    manager = type(obj)._default_manager
    try:
        with transaction.atomic():
            manager.filter(pk=obj.pk).update(**fields)
    except IntegrityError:
        report.problems.append(f"{obj.public_id}: the source's start and end times do not fit")
        safe = {k: v for k, v in fields.items() if k in ("created_at", "updated_at")}
        manager.filter(pk=obj.pk).update(**safe)
    try:
        with transaction.atomic():
            then()
    except ServiceError as exc:
        report.problems.append(f"{obj.public_id}: updates kept as replayed ({exc.message})")
