"""Statuspage v2 objects as plain dicts (shared/reference/statuspage-api.md, section 1).

Every function here takes already-loaded objects and runs no query: the views load everything
through incidents.selectors first, so a document costs a fixed number of queries. Keys are the
reference's, all of them always present (null where a value does not apply, never absent),
because clients index them without checking.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo

from incidents.models import Component, Incident, Maintenance, Page
from incidents.selectors import ComponentTree, GroupNode

PER_PAGE = 50


def timestamp(value: datetime | None, tz: tzinfo) -> str | None:
    """ISO 8601 with milliseconds in the page's offset: several clients reject timestamps
    without fractional seconds, and Statuspage writes UTC as "Z"."""
    if value is None:
        return None
    local = value.astimezone(tz)
    text = local.strftime("%Y-%m-%dT%H:%M:%S") + f".{local.microsecond // 1000:03d}"
    offset = local.utcoffset()
    if not offset:
        return text + "Z"
    total = int(offset.total_seconds())
    sign = "-" if total < 0 else "+"
    hours, minutes = divmod(abs(total) // 60, 60)
    return f"{text}{sign}{hours:02d}:{minutes:02d}"


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def page_dict(page: Page) -> dict:
    return {
        "id": page.public_id,
        "name": page.name,
        "url": page.url,
        "time_zone": page.time_zone,
        "updated_at": timestamp(page.updated_at, page.tz),
    }


def status_dict(indicator: str, description: str) -> dict:
    return {"indicator": indicator, "description": description}


def _component(component: Component, page: Page, *, position: int, group_id: str | None) -> dict:
    return {
        "id": component.public_id,
        "name": component.name,
        "status": component.status,
        "created_at": timestamp(component.created_at, page.tz),
        "updated_at": timestamp(component.updated_at, page.tz),
        "position": position,
        "description": component.description or None,
        "showcase": component.showcase,
        "start_date": _day(component.start_date),
        "group_id": group_id,
        "page_id": page.public_id,
        "group": False,
        "only_show_if_degraded": component.only_show_if_degraded,
    }


def _group(node: GroupNode, page: Page, *, position: int) -> dict:
    group = node.group
    return {
        "id": group.public_id,
        "name": group.name,
        "status": node.status.value,
        "created_at": timestamp(group.created_at, page.tz),
        "updated_at": timestamp(group.updated_at, page.tz),
        "position": position,
        "description": group.description or None,
        # A group has no uptime bar or start date of its own in Statuspage.
        "showcase": False,
        "start_date": None,
        "group_id": None,
        "page_id": page.public_id,
        "group": True,
        "only_show_if_degraded": False,
        "components": [c.public_id for c in node.components],
    }


def components_list(tree: ComponentTree, page: Page) -> list[dict]:
    """The flat list: each group row followed by its children, in page order. Positions are
    1-based and restart inside each group, as Statuspage numbers them."""
    rows = []
    for top, entry in enumerate(tree.entries, start=1):
        if isinstance(entry, GroupNode):
            rows.append(_group(entry, page, position=top))
            rows.extend(
                _component(child, page, position=n, group_id=entry.group.public_id)
                for n, child in enumerate(entry.components, start=1)
            )
        else:
            rows.append(_component(entry, page, position=top, group_id=None))
    return rows


def _update(update, parent_id: str, page: Page, *, affected) -> dict:
    return {
        "id": update.public_id,
        "status": update.status,
        "body": update.body,
        "incident_id": parent_id,
        "created_at": timestamp(update.created_at, page.tz),
        "updated_at": timestamp(update.updated_at, page.tz),
        "display_at": timestamp(update.display_at, page.tz),
        "affected_components": affected,
        "deliver_notifications": update.deliver_notifications,
        "custom_tweet": None,
        "tweet_id": None,
    }


def _affected(obj, components_by_pk: dict[int, dict]) -> list[dict]:
    # The rows of the components list, so a component reads the same wherever it appears.
    return [components_by_pk[c.pk] for c in obj.components.all() if c.pk in components_by_pk]


def public_url(page: Page, kind: str, public_id: str) -> str:
    """Where the public site shows one incident ("incidents") or maintenance ("maintenance")."""
    return f"{page.url.rstrip('/')}/{kind}/{public_id}"


def incident_dict(incident: Incident, page: Page, components_by_pk: dict[int, dict]) -> dict:
    return {
        "id": incident.public_id,
        "name": incident.name,
        "status": incident.status,
        "created_at": timestamp(incident.created_at, page.tz),
        "updated_at": timestamp(incident.updated_at, page.tz),
        "monitoring_at": timestamp(incident.monitoring_at, page.tz),
        "resolved_at": timestamp(incident.resolved_at, page.tz),
        "impact": incident.impact,
        "shortlink": public_url(page, "incidents", incident.public_id),
        "started_at": timestamp(incident.started_at, page.tz),
        "page_id": page.public_id,
        # Prefetched newest first (display_at, then id) by the selectors.
        "incident_updates": [
            _update(u, incident.public_id, page, affected=u.affected_components)
            for u in incident.updates.all()
        ],
        "components": _affected(incident, components_by_pk),
    }


def maintenance_dict(
    maintenance: Maintenance, page: Page, components_by_pk: dict[int, dict]
) -> dict:
    """Statuspage models maintenance as an incident with scheduled_* fields; so do we, outward.
    A cancelled window reads as completed (Statuspage has no cancelled state)."""
    return {
        "id": maintenance.public_id,
        "name": maintenance.name,
        "status": maintenance.status,
        "created_at": timestamp(maintenance.created_at, page.tz),
        "updated_at": timestamp(maintenance.updated_at, page.tz),
        "monitoring_at": None,
        "resolved_at": timestamp(maintenance.completed_at, page.tz),
        "impact": maintenance.impact,
        "shortlink": public_url(page, "maintenance", maintenance.public_id),
        "started_at": timestamp(maintenance.started_at or maintenance.scheduled_for, page.tz),
        "page_id": page.public_id,
        # Maintenance updates record no component changes of their own.
        "incident_updates": [
            _update(u, maintenance.public_id, page, affected=None)
            for u in maintenance.updates.all()
        ],
        "components": _affected(maintenance, components_by_pk),
        "scheduled_for": timestamp(maintenance.scheduled_for, page.tz),
        "scheduled_until": timestamp(maintenance.scheduled_until, page.tz),
    }


def components_by_pk(tree: ComponentTree, rows: list[dict]) -> dict[int, dict]:
    """Map database ids to the serialized rows of `components_list(tree, ...)`."""
    by_public_id = {row["id"]: row for row in rows}
    return {c.pk: by_public_id[c.public_id] for c in tree.components}
