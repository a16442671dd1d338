"""Turning Statuspage incident bodies into service calls: create (incident, maintenance or
backfilled history) and PATCH (edit, post an update, resolve, move a window along)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast

from django.db import transaction

from incidents import services
from incidents.enums import (
    ACTIVE_MAINTENANCE_STATUSES,
    ComponentStatus,
    Impact,
    IncidentStatus,
    MaintenanceStatus,
)
from incidents.models import Component, Incident, Maintenance, Page
from statuspage.api.v1 import fields as f
from statuspage.api.v1.http import ApiError

# Statuspage reminds subscribers an hour before a window when scheduled_remind_prior is set.
REMIND_MINUTES = 60
_CREATE_MAINTENANCE = (
    MaintenanceStatus.SCHEDULED,
    MaintenanceStatus.IN_PROGRESS,
    MaintenanceStatus.VERIFYING,
)


def _name(data: dict, *, required: bool):
    name = f.text(data, "name", max_length=200)
    if name is f.MISSING:
        if required:
            raise ApiError.field("name", "An incident needs a name.")
        return None
    if not name.strip():
        raise ApiError.field("name", "An incident needs a name.")
    return name.strip()


def _impact_override(data: dict):
    if "impact_override" not in data:
        return f.MISSING
    value = data["impact_override"]
    if value in (None, ""):
        return None
    allowed = [i for i in Impact.values if i != Impact.MAINTENANCE]
    if value not in allowed:
        raise ApiError.field(
            "impact_override", "impact_override must be one of: " + ", ".join(allowed)
        )
    return value


def _component_statuses(data: dict, page: Page | int) -> dict[Component, str]:
    """The components the body names, each with its status: only the page's own count."""
    """`components{id: status}` plus `component_ids[]` (listed without a status: linked to the
    incident without imposing anything)."""
    statuses = f.mapping(data, "components", {})
    ids = f.id_list(data, "component_ids", [])
    wanted = {i: ComponentStatus.OPERATIONAL.value for i in ids}
    for public_id, status in statuses.items():
        if not f.ID.fullmatch(public_id):
            raise ApiError.field("components", f"{public_id[:20]!r} is not a component id.")
        if not isinstance(status, str) or status not in ComponentStatus.values:
            raise ApiError.field(
                "components",
                f"Unknown status {status!r} for component {public_id}; use one of: "
                + ", ".join(ComponentStatus.values),
            )
        wanted[public_id] = status
    found = {
        c.public_id: c
        for c in Component.objects.filter(
            public_id__in=list(wanted), page_id=page if isinstance(page, int) else page.pk
        )
    }
    unknown = [i for i in wanted if i not in found]
    if unknown:
        field = "components" if any(u in statuses for u in unknown) else "component_ids"
        raise ApiError.field(field, "Unknown component ids: " + ", ".join(unknown[:10]))
    return {found[i]: status for i, status in wanted.items()}


def _backfill_date(data: dict) -> datetime | None:
    raw = data.get("backfill_date")
    if raw in (None, ""):
        return None
    if isinstance(raw, str) and len(raw.strip()) == 10:
        day = f.day(data, "backfill_date")
        return datetime.combine(day, datetime.min.time(), tzinfo=UTC)
    return f.moment(data, "backfill_date")


def _status_body(status: str) -> str:
    """Statuspage allows an update without text; ours always has one."""
    return status.replace("_", " ").capitalize() + "."


def create(data: dict, actor, page: Page) -> Incident | Maintenance:
    translations = _translations(data)
    with transaction.atomic():
        created = _create(data, actor, page)
        _translate(created, translations, actor, updates_before=0)
    return created


def _create(data: dict, actor, page: Page) -> Incident | Maintenance:
    name = _name(data, required=True)
    notify = f.boolean(data, "deliver_notifications", True)
    body = f.text(data, "body", max_length=50_000, default="") or ""
    f.mapping(data, "metadata", {})
    if data.get("scheduled_for") not in (None, ""):
        return _schedule(data, name=name, body=body, notify=notify, actor=actor, page=page)
    if f.boolean(data, "backfilled", False):
        at = _backfill_date(data)
        return services.incident_create(
            name=name,
            body=body or "This incident was recorded after the fact.",
            actor=actor,
            status=IncidentStatus.RESOLVED,
            impact_override=_none_if_missing(_impact_override(data)),
            notify=False,
            at=at,
            backfilled=True,
            page=page,
        )
    status = f.text(data, "status", default=IncidentStatus.INVESTIGATING) or "investigating"
    if status not in IncidentStatus.values:
        raise ApiError.field("status", "status must be one of: " + ", ".join(IncidentStatus.values))
    return services.incident_create(
        name=name,
        body=body or _status_body(status),
        actor=actor,
        status=status,
        component_statuses=_component_statuses(data, page),
        impact_override=_none_if_missing(_impact_override(data)),
        notify=notify,
        page=page,
    )


def _none_if_missing(value):
    return None if value is f.MISSING else value


def _schedule(data: dict, *, name: str, body: str, notify: bool, actor, page: Page) -> Maintenance:
    start = f.moment(data, "scheduled_for")
    end = f.moment(data, "scheduled_until", None)
    if end is None:
        raise ApiError.field("scheduled_until", "A maintenance window needs scheduled_until.")
    status = f.text(data, "status", default=MaintenanceStatus.SCHEDULED) or "scheduled"
    if status not in _CREATE_MAINTENANCE:
        raise ApiError.field(
            "status", "A new maintenance is one of: " + ", ".join(_CREATE_MAINTENANCE)
        )
    components = list(_component_statuses(data, page))
    remind = f.boolean(data, "scheduled_remind_prior", False)
    with transaction.atomic():
        maintenance = services.maintenance_schedule(
            name=name,
            scheduled_for=start,
            scheduled_until=end,
            components=components,
            actor=actor,
            body=body if status == MaintenanceStatus.SCHEDULED else "",
            auto_start=f.boolean(data, "scheduled_auto_in_progress", True),
            auto_complete=f.boolean(data, "scheduled_auto_completed", True),
            remind_before_minutes=REMIND_MINUTES if remind else None,
            notify=notify,
            page=page,
        )
        if status != MaintenanceStatus.SCHEDULED:
            services.maintenance_start(
                maintenance=maintenance, actor=actor, body=body, notify=notify
            )
        if status == MaintenanceStatus.VERIFYING:
            services.maintenance_update_post(
                maintenance=maintenance,
                status=status,
                body=body or _status_body(status),
                actor=actor,
                notify=notify,
            )
    return maintenance


def patch(obj: Incident | Maintenance, data: dict, actor) -> None:
    """A PATCH of an incident or a window, and the translations it carries (the names' for the
    object, the bodies' for the update this request posts)."""
    translations = _translations(data)
    before = _newest_update_id(obj)
    with transaction.atomic():
        if isinstance(obj, Maintenance):
            patch_maintenance(obj, data, actor)
        else:
            patch_incident(obj, data, actor)
        _translate(obj, translations, actor, updates_before=before)


def _translations(data: dict) -> dict[str, dict | None]:
    """Our extension: {"de": {"name": "...", "body": "..."}}; the domain checks languages and
    text, this checks the shape."""
    value = data.get("translations")
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ApiError.field("translations", 'translations must be an object: {"de": {...}}.')
    for code, entry in value.items():
        if entry is not None and (not isinstance(entry, dict) or not set(entry) <= _TRANSLATED):
            raise ApiError.field(
                f"translations.{str(code)[:20]}",
                'A translation is {"name": "...", "body": "..."} (either or both), or null.',
            )
    return value


_TRANSLATED = frozenset({"name", "body"})


def _newest_update_id(obj: Incident | Maintenance) -> int:
    return obj.updates.order_by("-id").values_list("id", flat=True).first() or 0


def _translate(
    obj: Incident | Maintenance, translations: dict[str, dict | None], actor, *, updates_before: int
) -> None:
    names = {
        c: None if e is None else {"name": e["name"]}
        for c, e in translations.items()
        if e is None or "name" in e
    }
    bodies = {c: {"body": e["body"]} for c, e in translations.items() if e and "body" in e}
    if names:
        services.translations_set(obj=obj, translations=names, actor=actor)
    if not bodies:
        return
    posted = obj.updates.filter(id__gt=updates_before).order_by("-id").first()
    if posted is None:
        raise ApiError.field(
            "translations", "A body translation needs an update posted by the same request."
        )
    services.translations_set(obj=posted, translations=bodies, actor=actor)


def patch_incident(incident: Incident, data: dict, actor) -> None:
    name = _name(data, required=False)
    impact = _impact_override(data)
    status = f.text(data, "status")
    body = f.text(data, "body", max_length=50_000)
    notify = f.boolean(data, "deliver_notifications", True)
    posting = status is not f.MISSING or body is not f.MISSING or "components" in data
    component_statuses = _component_statuses(data, cast(int, incident.page_id)) if posting else {}
    with transaction.atomic():
        if name is not None or impact is not f.MISSING:
            edits = {"name": name}
            if impact is not f.MISSING:
                edits["impact_override"] = impact
            services.incident_edit(incident=incident, actor=actor, **edits)
        if posting:
            new_status = incident.status if status is f.MISSING else status
            if new_status not in IncidentStatus.values:
                raise ApiError.field(
                    "status", "status must be one of: " + ", ".join(IncidentStatus.values)
                )
            services.incident_update_post(
                incident=incident,
                status=new_status,
                body=(body if body is not f.MISSING else "") or _status_body(new_status),
                actor=actor,
                component_statuses=component_statuses,
                notify=notify,
            )


def patch_maintenance(maintenance: Maintenance, data: dict, actor) -> None:
    if "name" in data or "impact_override" in data:
        raise ApiError.field("name", "A maintenance's name and impact cannot be changed here.")
    status = f.text(data, "status", default=maintenance.status) or maintenance.status
    body = f.text(data, "body", max_length=50_000, default="") or ""
    notify = f.boolean(data, "deliver_notifications", True)
    start = f.moment(data, "scheduled_for", None)
    end = f.moment(data, "scheduled_until", None)
    if status not in MaintenanceStatus.values:
        raise ApiError.field(
            "status", "status must be one of: " + ", ".join(MaintenanceStatus.values)
        )
    common = {"maintenance": maintenance, "actor": actor, "notify": notify}
    with transaction.atomic():
        if start is not None or end is not None:
            services.maintenance_reschedule(
                scheduled_for=start or maintenance.scheduled_for,
                scheduled_until=end or maintenance.scheduled_until,
                body=body if status == maintenance.status else "",
                **common,
            )
        elif status == maintenance.status and status in ACTIVE_MAINTENANCE_STATUSES and body:
            services.maintenance_update_post(status=status, body=body, **common)
        elif status == maintenance.status and body:
            raise ApiError.field(
                "status", f"A {status} maintenance takes no update; change its status."
            )
        if status == maintenance.status:
            return
        if status == MaintenanceStatus.IN_PROGRESS and maintenance.status == "scheduled":
            services.maintenance_start(body=body, **common)
        elif status == MaintenanceStatus.COMPLETED and maintenance.status == "scheduled":
            services.maintenance_cancel(body=body, **common)
        elif status == MaintenanceStatus.COMPLETED:
            services.maintenance_complete(body=body, **common)
        elif status in ACTIVE_MAINTENANCE_STATUSES:
            services.maintenance_update_post(
                status=status, body=body or _status_body(status), **common
            )
        else:
            raise ApiError.field(
                "status", f"A {maintenance.status} maintenance cannot become {status}."
            )


def update_edit(update, data: dict, actor):
    body = f.text(data, "body", max_length=50_000, default=None)
    display_at = f.moment(data, "display_at", None)
    deliver = f.boolean(data, "deliver_notifications", None)
    translations = _translations(data)
    if any(entry and "name" in entry for entry in translations.values()):
        raise ApiError.field("translations", "An update's translation has a body, not a name.")
    with transaction.atomic():
        if body is not None or display_at is not None or deliver is not None:
            update = services.incident_update_edit(
                update=update,
                body=body,
                actor=actor,
                display_at=display_at,
                deliver_notifications=deliver,
            )
        if translations:
            update = services.translations_set(obj=update, translations=translations, actor=actor)
    return update


__all__ = ["create", "patch", "patch_incident", "patch_maintenance", "update_edit"]
