"""Import from a Statuspage-compatible /api/v2/: components, groups, incident and maintenance
history, keeping the source's public ids (so re-running finds what it imported before) and
replaying every update at its original time (so the status log and uptime bars are rebuilt).

Only the pure replay lives here; fetching and paging is the command's job.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeAlias, TypedDict, TypeVar

from django.db import transaction

from incidents.enums import (
    ACTIVE_MAINTENANCE_STATUSES,
    OPEN_INCIDENT_STATUSES,
    ComponentStatus,
    IncidentStatus,
    MaintenanceStatus,
)
from incidents.errors import ServiceError
from incidents.models import (
    Component,
    ComponentGroup,
    Incident,
    Maintenance,
    PublicIdModel,
)
from incidents.services import importing_restore as restore
from incidents.services.common import Actor
from incidents.services.components import (
    component_create,
    component_group_create,
    component_status_set,
    component_update,
)
from incidents.services.importing_parse import PUBLIC_ID, Report
from incidents.services.importing_parse import when as _when
from incidents.services.incident import incident_create, incident_update_post
from incidents.services.maintenance import (
    maintenance_complete,
    maintenance_schedule,
    maintenance_start,
)

IMPORT_ACTOR = Actor(label="import", via="import")
ImportReport = Report

# An object of the source's JSON (a component, an incident, an update), as decoded: nothing
# about its shape is checked, so every value is read defensively.
Source: TypeAlias = dict[str, Any]
# One replay step: the time it happened at the source, and what replays it at that time.
Step: TypeAlias = tuple[datetime, Callable[[datetime], object]]

_Model = TypeVar("_Model", bound=PublicIdModel)


@dataclass
class Replay:
    """The steps to run in time order, then the restorations that give each object the
    source's own record once its replay is done (importing_restore)."""

    steps: list[Step] = field(default_factory=list)
    restores: list[Callable[[], None]] = field(default_factory=list)


def _timed_updates(obj: Source, noun: str, report: ImportReport) -> list[tuple[datetime, Source]]:
    """The updates of an incident or maintenance with their times, oldest first. An update
    without a usable time cannot be placed in the status log: it is reported and left out."""
    timed = []
    # The source lists newest first; reversed, updates sharing a time stay in its order once
    # sorted (the sort is stable) and are stored in that order, as its ids tie-break them.
    for update in reversed(obj.get("incident_updates") or []):
        at = _when(update.get("display_at"))
        if at is None:
            report.problems.append(
                f"{noun} {obj['id']}: update {update.get('id')} has no valid display_at: skipped"
            )
        else:
            timed.append((at, update))
    return sorted(timed, key=lambda pair: pair[0])


def _adopt_id(model: type[_Model], obj: _Model, source_id: str | None) -> None:
    """Give an imported object the source's id when it has the expected form and is free."""
    if (
        source_id is not None
        and PUBLIC_ID.match(source_id)
        and not model._default_manager.filter(public_id=source_id).exists()
    ):
        model._default_manager.filter(pk=obj.pk).update(public_id=source_id)
        obj.public_id = source_id


class _ComponentFields(TypedDict):
    name: str
    description: str
    group: ComponentGroup | None
    position: int
    showcase: bool
    only_show_if_degraded: bool
    start_date: date | None


def import_groups(rows: list[Source], report: ImportReport) -> dict[str, ComponentGroup]:
    """Create the groups not imported before; returns {source id: ComponentGroup}."""
    groups: dict[str, ComponentGroup] = {}
    for row in (r for r in rows if r.get("group")):
        group = ComponentGroup.objects.filter(public_id=row["id"]).first()
        if group is None:
            group = component_group_create(
                name=row["name"],
                actor=IMPORT_ACTOR,
                description=row.get("description") or "",
                position=row.get("position") or 0,
            )
            _adopt_id(ComponentGroup, group, row["id"])
            report.count(report.created, "group")
        groups[row["id"]] = group
    return groups


def import_components(
    rows: list[Source], groups: dict[str, ComponentGroup], report: ImportReport
) -> dict[str, Component]:
    """Create or update components; returns {source id: Component}."""
    components: dict[str, Component] = {}
    for row in (r for r in rows if not r.get("group")):
        fields: _ComponentFields = {
            "name": row["name"],
            "description": row.get("description") or "",
            "group": groups.get(row["group_id"]) if row.get("group_id") else None,
            "position": row.get("position") or 0,
            "showcase": bool(row.get("showcase", True)),
            "only_show_if_degraded": bool(row.get("only_show_if_degraded", False)),
            "start_date": date.fromisoformat(row["start_date"]) if row.get("start_date") else None,
        }
        component = Component.objects.filter(public_id=row["id"]).first()
        if component is None:
            component = component_create(
                actor=IMPORT_ACTOR, created_at=_when(row.get("created_at")), **fields
            )
            _adopt_id(Component, component, row["id"])
            report.count(report.created, "component")
        else:
            component = component_update(component=component, actor=IMPORT_ACTOR, **fields)
            report.count(report.skipped, "component (updated)")
        components[row["id"]] = component
    return components


def _statuses(update: Source, components: dict[str, Component]) -> dict[Component, str]:
    out = {}
    for change in update.get("affected_components") or []:
        component = components.get(change.get("code"))
        status = change.get("new_status")
        if component and status in ComponentStatus.values and status != "under_maintenance":
            out[component] = status
    return out


def replay_steps(
    incidents: list[Source],
    maintenances: list[Source],
    components: dict[str, Component],
    report: ImportReport,
) -> Replay:
    """Every update of every not-yet-imported incident or maintenance as (time, callable),
    to be run in time order so that the status log stays ordered; and for each, what restores
    the source's record of it afterwards."""
    replay = Replay()
    known = set(Incident.objects.values_list("public_id", flat=True))
    for incident in incidents:
        if incident["id"] in known:
            report.count(report.skipped, "incident (already imported)")
            continue
        updates = _timed_updates(incident, "incident", report)
        if not updates:
            report.problems.append(f"incident {incident['id']} has no updates: skipped")
            continue
        _incident_steps(replay, incident, updates, components, report)
    known = set(Maintenance.objects.values_list("public_id", flat=True))
    for maintenance in maintenances:
        if maintenance["id"] in known:
            report.count(report.skipped, "maintenance (already imported)")
            continue
        _maintenance_steps(replay, maintenance, components, report)
    replay.steps.sort(key=lambda step: step[0])
    return replay


def _incident_steps(
    replay: Replay,
    incident: Source,
    updates: list[tuple[datetime, Source]],
    components: dict[str, Component],
    report: ImportReport,
) -> None:
    holder: dict[str, Incident] = {}
    impact = incident.get("impact")
    override = impact if impact in ("none", "minor", "major", "critical") else None

    def create(at: datetime, update: Source = updates[0][1]) -> None:
        created = incident_create(
            name=incident["name"],
            body=update.get("body") or "(no text)",
            at=at,
            status=update["status"]
            if update["status"] in OPEN_INCIDENT_STATUSES
            else IncidentStatus.INVESTIGATING,
            component_statuses=_statuses(update, components),
            actor=IMPORT_ACTOR,
            notify=False,
            backfilled=True,
            impact_override=override,
        )
        _adopt_id(Incident, created, incident["id"])
        holder["incident"] = created
        report.count(report.created, "incident")

    def follow(update: Source) -> Callable[[datetime], None]:
        def run(at: datetime) -> None:
            if "incident" not in holder:
                return
            status = update["status"]
            if status == IncidentStatus.POSTMORTEM:
                status = IncidentStatus.RESOLVED
            incident_update_post(
                incident=holder["incident"],
                status=status,
                body=update.get("body") or "(no text)",
                component_statuses=_statuses(update, components),
                actor=IMPORT_ACTOR,
                at=at,
                notify=False,
            )

        return run

    def restored() -> None:
        if "incident" in holder:
            restore.incident_restore(holder["incident"], incident, updates, components, report)

    steps: list[Step] = [(updates[0][0], create)]
    steps += [(at, follow(u)) for at, u in updates[1:]]
    postmortem = _postmortem_step(incident, holder, last=steps[-1][0])
    replay.steps += steps if postmortem is None else [*steps, postmortem]
    replay.restores.append(restored)


POSTMORTEM_FIELDS = (
    "postmortem_body",
    "postmortem_published_at",
    "postmortem_notify_subscribers",
    "postmortem_notify_twitter",
)


def postmortems_merge(
    incidents: list[Source], managed: list[Source], report: ImportReport
) -> list[Source]:
    """The public incidents, each with the postmortem fields the management API gives for it
    (its text, publication time, and whether it was announced). A field the management API
    leaves out keeps the public value; objects only one of the two lists are left as they are."""
    by_id = {item["id"]: item for item in managed}
    merged = []
    for incident in incidents:
        extra = by_id.get(incident["id"], {})
        fields = {name: extra[name] for name in POSTMORTEM_FIELDS if name in extra}
        announced = extra.get("postmortem_notify_subscribers") or extra.get(
            "postmortem_notify_twitter"
        )
        if announced and extra.get("postmortem_published_at"):
            # Imported history is never announced again; the count says what the source did.
            report.count(report.skipped, "postmortem notification (sent at the source)")
        merged.append(incident | fields)
    return merged


def _postmortem_step(incident: Source, holder: dict[str, Incident], last: datetime) -> Step | None:
    """The source's postmortem, if it has one. Published (a publication time, or the status
    "postmortem", all the public API tells): published here at the time the source says, else
    when the incident last changed there (publishing is its last change), else after its last
    update. A text without a publication time is the source's draft: kept as the draft here,
    never published."""
    body = incident.get("postmortem_body")
    text = body if isinstance(body, str) else ""
    published = bool(incident.get("postmortem_published_at")) or (
        incident.get("status") == IncidentStatus.POSTMORTEM
    )
    if not published and not text:
        return None

    def postmortem(at: datetime) -> None:
        if "incident" not in holder:
            return
        if not published:
            Incident.objects.filter(pk=holder["incident"].pk).update(postmortem_draft=text)
            return
        Incident.objects.filter(pk=holder["incident"].pk).update(
            postmortem_body=text,
            postmortem_draft=text,
            postmortem_published_at=at,
            status=IncidentStatus.POSTMORTEM,
        )

    at = _when(incident.get("postmortem_published_at")) or _when(incident.get("updated_at"))
    return (max(at, last) if at else last, postmortem)


def _maintenance_steps(
    replay: Replay, maintenance: Source, components: dict[str, Component], report: ImportReport
) -> None:
    holder: dict[str, Maintenance] = {}
    start, end = _when(maintenance.get("scheduled_for")), _when(maintenance.get("scheduled_until"))
    if not start or not end or end <= start:
        report.problems.append(f"maintenance {maintenance['id']} has no valid window: skipped")
        return
    members = [
        components[c["id"]]
        for c in maintenance.get("components") or []
        if c.get("id") in components
    ]
    updates = _timed_updates(maintenance, "maintenance", report)
    created_at = updates[0][0] if updates else start

    def schedule(at: datetime) -> None:
        holder["m"] = maintenance_schedule(
            name=maintenance["name"],
            scheduled_for=start,
            scheduled_until=end,
            components=members,
            actor=IMPORT_ACTOR,
            body=updates[0][1].get("body", "") if updates else "",
            notify=False,
            auto_start=bool(maintenance.get("scheduled_auto_in_progress", True)),
            auto_complete=bool(maintenance.get("scheduled_auto_completed", True)),
        )
        _adopt_id(Maintenance, holder["m"], maintenance["id"])
        report.count(report.created, "maintenance")

    def restored() -> None:
        if "m" in holder:
            restore.maintenance_restore(holder["m"], maintenance, updates, components, report)

    replay.steps += [(min(created_at, start), schedule)]
    replay.steps += _window_steps(maintenance.get("status"), updates, end, holder)
    replay.restores.append(restored)


def _window_steps(
    status: object,
    updates: list[tuple[datetime, Source]],
    end: datetime,
    holder: dict[str, Maintenance],
) -> list[Step]:
    """How a window the schedule step created went on at the source: started and completed
    (at the times its updates say), or completed without ever starting."""
    started = next(
        ((at, u) for at, u in updates if u["status"] in ACTIVE_MAINTENANCE_STATUSES), None
    )
    if status in (*ACTIVE_MAINTENANCE_STATUSES, MaintenanceStatus.COMPLETED) and started:
        steps: list[Step] = [
            (
                started[0],
                lambda at: maintenance_start(
                    maintenance=holder["m"],
                    actor=IMPORT_ACTOR,
                    at=at,
                    notify=False,
                    body=started[1].get("body", ""),
                ),
            )
        ]
        done = next(((at, u) for at, u in reversed(updates) if u["status"] == "completed"), None)
        if status == MaintenanceStatus.COMPLETED and done:
            steps.append(
                (
                    done[0],
                    lambda at: maintenance_complete(
                        maintenance=holder["m"],
                        actor=IMPORT_ACTOR,
                        at=at,
                        notify=False,
                        body=done[1].get("body", ""),
                    ),
                )
            )
        return steps
    if status == MaintenanceStatus.COMPLETED:
        # Completed without ever starting here: keep it as history without status changes.
        return [
            (
                end,
                lambda at: Maintenance.objects.filter(pk=holder["m"].pk).update(
                    status=MaintenanceStatus.COMPLETED, completed_at=end
                ),
            )
        ]
    return []


def run_step(at: datetime, step: Callable[[datetime], object], report: ImportReport) -> None:
    """One replay step in its own transaction: a refused step is reported, not fatal."""
    try:
        with transaction.atomic():
            step(at)
    except ServiceError as exc:
        report.problems.append(f"{at.isoformat()}: {exc.message}")


def align_current_statuses(
    rows: list[Source], components: dict[str, Component], report: ImportReport
) -> None:
    """Where the source shows a status that no imported incident explains, set it as the
    component's own (base) status, so the page matches the source after the import."""
    for row in rows:
        component = components.get(row["id"])
        if component is None:
            continue
        component.refresh_from_db()
        wanted = row.get("status")
        # under_maintenance too: set by hand, over the status beneath, as the source shows it.
        if wanted in ComponentStatus.values and component.status != wanted:
            try:
                component_status_set(component=component, status=wanted, actor=IMPORT_ACTOR)
            except ServiceError as exc:
                report.problems.append(f"{component.name}: {exc.message}")
