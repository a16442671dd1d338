"""Management-API objects. Components, incidents and updates are incidents.wire's, as in the
public v2 documents and the webhooks; this layer only adds what the management API alone shows
(a group's own shape, and three management fields on incidents)."""

from __future__ import annotations

from incidents import wire
from incidents.models import Incident, IncidentUpdate, Maintenance, Page

# What every object needs: the page and the serialized component rows (one tree load).
Context = wire.Context


def component(ctx: Context, public_id: str) -> wire.ComponentDict:
    return ctx.by_id[public_id]


def group(ctx: Context, public_id: str) -> dict:
    row = ctx.by_id[public_id]
    return {
        "id": row["id"],
        "page_id": row["page_id"],
        "name": row["name"],
        "description": row["description"],
        "components": row["components"],
        "position": row["position"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


def any_incident(ctx: Context, obj: Incident | Maintenance) -> dict:
    """The incident or maintenance as webhooks carry it, plus the management-only fields."""
    reminded_at = obj.reminded_at if isinstance(obj, Maintenance) else None
    full = wire.incident_full(ctx, obj)
    if isinstance(obj, Incident) and obj.postmortem_published_at is None and obj.postmortem_draft:
        # As on Statuspage, the management API shows an unpublished postmortem's text, with
        # no publication time (the public documents and webhooks never show a draft).
        full["postmortem_body"] = obj.postmortem_draft
    # Our extension (Statuspage clients ignore it): the name's translations on the object,
    # each body's on its update.
    translated = {u.public_id: u.translations for u in obj.updates.all()}  # prefetched
    for update in full["incident_updates"]:
        update["translations"] = translated.get(update["id"]) or {}  # type: ignore[typeddict-unknown-key]
    return {
        **full,
        "translations": obj.translations or {},
        "postmortem_body_last_updated_at": None,
        "metadata": {},
        "scheduled_reminded_at": ctx.ts(reminded_at),
    }


def incident_update(update: IncidentUpdate, incident_id: str, page: Page) -> dict:
    """An update as the management API shows it: the shared shape, plus its translations."""
    return {
        **wire.update_dict(update, incident_id, page),
        "translations": update.translations or {},
    }
