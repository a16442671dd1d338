"""Statuspage management-API objects. Components, incidents and updates read exactly as in the
public v2 documents (same serializers), plus the fields only the management API shows."""

from __future__ import annotations

from incidents import selectors
from incidents.models import Incident, Maintenance
from statuspage.api import serializers as s


class Context:
    """What every object needs: the page and the serialized component rows (one tree load)."""

    def __init__(self):
        self.page = selectors.page_get()
        self.tree = selectors.component_tree()
        self.rows = s.components_list(self.tree, self.page)
        self.by_pk = s.components_by_pk(self.tree, self.rows)
        self.by_id = {row["id"]: row for row in self.rows}

    def ts(self, value):
        return s.timestamp(value, self.page.tz)


def component(ctx: Context, public_id: str) -> dict:
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


def incident(ctx: Context, obj: Incident) -> dict:
    data = s.incident_dict(obj, ctx.page, ctx.by_pk)
    data.update(
        {
            "impact_override": obj.impact_override,
            "backfilled": obj.backfilled,
            "postmortem_body": obj.postmortem_body or None,
            "postmortem_body_last_updated_at": None,
            "postmortem_published_at": ctx.ts(obj.postmortem_published_at),
            "metadata": {},
            "scheduled_for": None,
            "scheduled_until": None,
            "scheduled_remind_prior": False,
            "scheduled_reminded_at": None,
            "scheduled_auto_in_progress": False,
            "scheduled_auto_completed": False,
        }
    )
    return data


def maintenance(ctx: Context, obj: Maintenance) -> dict:
    data = s.maintenance_dict(obj, ctx.page, ctx.by_pk)
    data.update(
        {
            "impact_override": None,
            "backfilled": False,
            "postmortem_body": None,
            "postmortem_body_last_updated_at": None,
            "postmortem_published_at": None,
            "metadata": {},
            "scheduled_remind_prior": obj.remind_before_minutes is not None,
            "scheduled_reminded_at": ctx.ts(obj.reminded_at),
            "scheduled_auto_in_progress": obj.auto_start,
            "scheduled_auto_completed": obj.auto_complete,
        }
    )
    return data


def any_incident(ctx: Context, obj) -> dict:
    return maintenance(ctx, obj) if isinstance(obj, Maintenance) else incident(ctx, obj)
