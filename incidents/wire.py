"""The Statuspage wire format: domain objects as Statuspage's JSON
(shared/reference/statuspage-api.md, sections 1 and 2).

The one writer of that JSON. The public API (/api/v2), the management API (/api/v1) and the
webhook payloads all build their objects here, because Statuspage's webhooks carry the same
component and incident objects as its API and clients compare them: a component or an incident
reads the same, byte for byte, wherever a client meets it.

- Every key of the reference is always present, null where a value does not apply, because
  clients index keys without checking.
- Timestamps are in the page's UTC offset with milliseconds, webhooks included.
- Only `Context` runs queries (the page and the component tree, once per document or batch);
  every other function shapes objects already loaded, so a document costs a fixed number of
  queries however many components or incidents it holds.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from typing import NotRequired, TypedDict

from incidents import selectors
from incidents.models import (
    AffectedComponent,
    Component,
    ComponentStatusChange,
    Incident,
    IncidentUpdate,
    Maintenance,
    MaintenanceUpdate,
    Page,
)
from incidents.selectors import ComponentTree, GroupNode, scope

_BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz"


# --- the objects, key by key (timestamps as `timestamp` writes them) ----------------------------


class PageDict(TypedDict):
    id: str
    name: str
    url: str
    time_zone: str
    updated_at: str | None


class StatusDict(TypedDict):
    indicator: str
    description: str


class ComponentDict(TypedDict):
    """A row of the components list: a component, or a group (`group` true), which alone
    lists its members' ids in `components`."""

    id: str
    name: str
    status: str
    created_at: str | None
    updated_at: str | None
    position: int
    description: str | None
    showcase: bool
    start_date: str | None
    group_id: str | None
    page_id: str
    group: bool
    only_show_if_degraded: bool
    components: NotRequired[list[str]]


class UpdateDict(TypedDict):
    id: str
    status: str
    body: str
    incident_id: str
    created_at: str | None
    updated_at: str | None
    display_at: str | None
    affected_components: list[AffectedComponent] | None
    deliver_notifications: bool
    custom_tweet: None
    tweet_id: None


class IncidentDict(TypedDict):
    id: str
    name: str
    status: str
    created_at: str | None
    updated_at: str | None
    monitoring_at: str | None
    resolved_at: str | None
    impact: str
    shortlink: str
    started_at: str | None
    page_id: str
    incident_updates: list[UpdateDict]
    components: list[ComponentDict]


class MaintenanceDict(IncidentDict):
    scheduled_for: str | None
    scheduled_until: str | None


class IncidentFullDict(MaintenanceDict):
    """An incident or maintenance as webhooks (and the management API) carry it."""

    backfilled: bool
    impact_override: str | None
    postmortem_body: str | None
    postmortem_published_at: str | None
    scheduled_remind_prior: bool
    scheduled_auto_in_progress: bool
    scheduled_auto_completed: bool


class IncidentDocumentDict(TypedDict):
    page: PageDict
    incident: IncidentDict


class WebhookPageDict(TypedDict):
    id: str
    status_indicator: str
    status_description: str


class ComponentUpdateDict(TypedDict):
    id: str
    component_id: str
    old_status: str
    new_status: str
    created_at: str | None
    component_type: str


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


def public_url(page: Page, kind: str, public_id: str) -> str:
    """Where the public site shows one incident ("incidents") or maintenance ("maintenance")."""
    return f"{page.public_url}/{kind}/{public_id}"


# --- page and components ------------------------------------------------------------------------


def page_dict(page: Page) -> PageDict:
    return {
        "id": page.public_id,
        "name": page.name,
        "url": page.public_url,
        "time_zone": page.time_zone,
        "updated_at": timestamp(page.updated_at, page.tz),
    }


def status_dict(indicator: str, description: str) -> StatusDict:
    return {"indicator": indicator, "description": description}


def _component(
    component: Component, page: Page, *, position: int, group_id: str | None
) -> ComponentDict:
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


def _group(node: GroupNode, page: Page, *, position: int) -> ComponentDict:
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


def components_list(tree: ComponentTree, page: Page) -> list[ComponentDict]:
    """The flat list: each group row followed by its children, in page order. Positions are
    1-based and restart inside each group, as Statuspage numbers them (the stored positions
    are only sort keys: they have gaps, and groups and components share the top level)."""
    rows: list[ComponentDict] = []
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


class Context:
    """The page and its component rows, loaded once (three queries) and shared by every object
    of a document or a delivery batch: a component's position and its group's id depend on the
    whole tree, so a component alone cannot be written correctly."""

    def __init__(self, page: Page | None = None, tree: ComponentTree | None = None) -> None:
        self.page = page if page is not None else selectors.page_get()
        self.tree = tree if tree is not None else selectors.component_tree(self.page)
        self.rows = components_list(self.tree, self.page)
        self.by_id: dict[str, ComponentDict] = {row["id"]: row for row in self.rows}
        # In page order (dict order), so lists built from it are in page order too.
        self.by_pk: dict[int, ComponentDict] = {
            c.pk: self.by_id[c.public_id] for c in self.tree.components
        }

    def ts(self, value: datetime | None) -> str | None:
        return timestamp(value, self.page.tz)


# --- incidents and maintenance ------------------------------------------------------------------


def update_dict(
    update: IncidentUpdate | MaintenanceUpdate, parent_id: str, page: Page
) -> UpdateDict:
    """One incident_update, of an incident or a maintenance (a window run here records no
    component changes on its updates; an imported one keeps what its source recorded)."""
    return {
        "id": update.public_id,
        "status": update.status,
        "body": update.body,
        "incident_id": parent_id,
        "created_at": timestamp(update.created_at, page.tz),
        "updated_at": timestamp(update.updated_at, page.tz),
        "display_at": timestamp(update.display_at, page.tz),
        "affected_components": scope.affected(update.affected_components),
        "deliver_notifications": update.deliver_notifications,
        "custom_tweet": None,
        "tweet_id": None,
    }


def _affected(ctx: Context, obj: Incident | Maintenance) -> list[ComponentDict]:
    # The rows of the components list, in page order, so a component reads the same wherever
    # it appears.
    wanted = {c.pk for c in obj.components.all()}
    return [row for pk, row in ctx.by_pk.items() if pk in wanted]


def _updates(ctx: Context, obj: Incident | Maintenance) -> list[UpdateDict]:
    # Newest first (display_at, then id): the selectors' prefetch order and the models' own.
    return [update_dict(u, obj.public_id, ctx.page) for u in obj.updates.all()]


def incident_dict(ctx: Context, incident: Incident) -> IncidentDict:
    return {
        "id": incident.public_id,
        "name": incident.name,
        "status": incident.status,
        "created_at": ctx.ts(incident.created_at),
        "updated_at": ctx.ts(incident.updated_at),
        "monitoring_at": ctx.ts(incident.monitoring_at),
        "resolved_at": ctx.ts(incident.resolved_at),
        "impact": incident.impact,
        "shortlink": public_url(ctx.page, "incidents", incident.public_id),
        "started_at": ctx.ts(incident.started_at),
        "page_id": ctx.page.public_id,
        "incident_updates": _updates(ctx, incident),
        "components": _affected(ctx, incident),
    }


def maintenance_dict(ctx: Context, maintenance: Maintenance) -> MaintenanceDict:
    """Statuspage models maintenance as an incident with scheduled_* fields; so do we, outward.
    A cancelled window reads as completed (Statuspage has no cancelled state)."""
    return {
        "id": maintenance.public_id,
        "name": maintenance.name,
        "status": maintenance.status,
        "created_at": ctx.ts(maintenance.created_at),
        "updated_at": ctx.ts(maintenance.updated_at),
        "monitoring_at": None,
        "resolved_at": ctx.ts(maintenance.completed_at),
        "impact": maintenance.impact,
        "shortlink": public_url(ctx.page, "maintenance", maintenance.public_id),
        "started_at": ctx.ts(maintenance.started_at or maintenance.scheduled_for),
        "page_id": ctx.page.public_id,
        "incident_updates": _updates(ctx, maintenance),
        "components": _affected(ctx, maintenance),
        "scheduled_for": ctx.ts(maintenance.scheduled_for),
        "scheduled_until": ctx.ts(maintenance.scheduled_until),
    }


def any_incident_dict(ctx: Context, obj: Incident | Maintenance) -> IncidentDict:
    """The public object of either: Statuspage serves maintenance as incidents too."""
    if isinstance(obj, Maintenance):
        return maintenance_dict(ctx, obj)
    return incident_dict(ctx, obj)


def incident_document(ctx: Context, obj: Incident | Maintenance) -> IncidentDocumentDict:
    """`/api/v2/incidents/<id>.json`: the page and one incident or maintenance. The API view
    and the publisher's bulk render of every incident's document both build it here, so the
    published bytes are the origin's."""
    return {"page": page_dict(ctx.page), "incident": any_incident_dict(ctx, obj)}


def incident_full(ctx: Context, obj: Incident | Maintenance) -> IncidentFullDict:
    """The incident (or maintenance) as webhooks carry it: the API object plus backfilled,
    impact_override, postmortem_* and scheduled_* (null or false where they do not apply).
    The management API shows these too."""
    if isinstance(obj, Maintenance):
        return {
            **maintenance_dict(ctx, obj),
            "backfilled": False,
            "impact_override": None,
            "postmortem_body": None,
            "postmortem_published_at": None,
            "scheduled_remind_prior": obj.remind_before_minutes is not None,
            "scheduled_auto_in_progress": obj.auto_start,
            "scheduled_auto_completed": obj.auto_complete,
        }
    return {
        **incident_dict(ctx, obj),
        "backfilled": obj.backfilled,
        "impact_override": obj.impact_override,
        # The published text only: a draft is never shown outside the dashboard.
        "postmortem_body": obj.postmortem_body or None,
        "postmortem_published_at": ctx.ts(obj.postmortem_published_at),
        "scheduled_for": None,
        "scheduled_until": None,
        "scheduled_remind_prior": False,
        "scheduled_auto_in_progress": False,
        "scheduled_auto_completed": False,
    }


# --- webhook-only objects -----------------------------------------------------------------------


def webhook_page(page: Page, indicator: str, description: str) -> WebhookPageDict:
    """The `page` of a webhook payload: Statuspage sends the rollup here, not the page object."""
    return {"id": page.public_id, "status_indicator": indicator, "status_description": description}


def _base36_id(number: int) -> str:
    digits = ""
    while number:
        number, rest = divmod(number, 36)
        digits = _BASE36[rest] + digits
    return digits.rjust(12, "0")


def component_update_dict(change: ComponentStatusChange, page: Page) -> ComponentUpdateDict:
    """A status change as the `component_update` of a webhook. Its id is the change's row id
    in the 12-character base36 form of every other id (clients validate ids by that shape);
    it is stable, so retries of one message carry the same id."""
    return {
        "id": _base36_id(change.pk),
        "component_id": change.component.public_id,
        "old_status": change.old_status,
        "new_status": change.new_status,
        "created_at": timestamp(change.at, page.tz),
        "component_type": "Component",
    }
