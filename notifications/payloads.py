"""Statuspage-shaped JSON for webhook subscribers (reference section 2), built as dicts."""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils import timezone

from incidents import selectors
from incidents.models import Component, Incident, Maintenance


def ts(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with milliseconds: several clients fail without fractional seconds."""
    if value is None:
        return None
    value = value.astimezone(UTC) if timezone.is_aware(value) else value
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def component_json(component: Component, page_id: str) -> dict:
    return {
        "id": component.public_id,
        "name": component.name,
        "status": component.status,
        "created_at": ts(component.created_at),
        "updated_at": ts(component.updated_at),
        "position": component.position,
        "description": component.description or None,
        "showcase": component.showcase,
        "start_date": component.start_date.isoformat() if component.start_date else None,
        "group_id": component.group.public_id if component.group_id else None,
        "page_id": page_id,
        "group": False,
        "only_show_if_degraded": component.only_show_if_degraded,
    }


def _update_json(update, parent_id: str) -> dict:
    return {
        "id": update.public_id,
        "status": update.status,
        "body": update.body,
        "incident_id": parent_id,
        "created_at": ts(update.created_at),
        "updated_at": ts(update.updated_at),
        "display_at": ts(update.display_at),
        "affected_components": getattr(update, "affected_components", None),
        "deliver_notifications": update.deliver_notifications,
        "custom_tweet": None,
        "tweet_id": None,
    }


def incident_json(incident: Incident, page_id: str, shortlink: str) -> dict:
    components = Component.objects.filter(incidents=incident).select_related("group")
    return {
        "id": incident.public_id,
        "name": incident.name,
        "status": incident.status,
        "created_at": ts(incident.created_at),
        "updated_at": ts(incident.updated_at),
        "monitoring_at": ts(incident.monitoring_at),
        "resolved_at": ts(incident.resolved_at),
        "impact": incident.impact,
        "shortlink": shortlink,
        "started_at": ts(incident.started_at),
        "page_id": page_id,
        "incident_updates": [
            _update_json(u, incident.public_id) for u in incident.updates.order_by("-display_at")
        ],
        "components": [component_json(c, page_id) for c in components],
        "backfilled": incident.backfilled,
        "impact_override": incident.impact_override,
        "postmortem_body": incident.postmortem_body or None,
        "postmortem_published_at": ts(incident.postmortem_published_at),
        "scheduled_for": None,
        "scheduled_until": None,
        "scheduled_remind_prior": False,
        "scheduled_auto_in_progress": False,
        "scheduled_auto_completed": False,
    }


def maintenance_json(maintenance: Maintenance, page_id: str, shortlink: str) -> dict:
    components = maintenance.components.select_related("group")
    return {
        "id": maintenance.public_id,
        "name": maintenance.name,
        "status": maintenance.status,
        "created_at": ts(maintenance.created_at),
        "updated_at": ts(maintenance.updated_at),
        "monitoring_at": None,
        "resolved_at": ts(maintenance.completed_at),
        "impact": "maintenance",
        "shortlink": shortlink,
        "started_at": ts(maintenance.started_at or maintenance.scheduled_for),
        "page_id": page_id,
        "incident_updates": [
            _update_json(u, maintenance.public_id)
            for u in maintenance.updates.order_by("-display_at")
        ],
        "components": [component_json(c, page_id) for c in components],
        "backfilled": False,
        "impact_override": None,
        "postmortem_body": None,
        "postmortem_published_at": None,
        "scheduled_for": ts(maintenance.scheduled_for),
        "scheduled_until": ts(maintenance.scheduled_until),
        "scheduled_remind_prior": maintenance.remind_before_minutes is not None,
        "scheduled_auto_in_progress": maintenance.auto_start,
        "scheduled_auto_completed": maintenance.auto_complete,
    }


def page_json() -> dict:
    page = selectors.page_get()
    indicator, description = selectors.status_summary()
    return {"id": page.public_id, "status_indicator": indicator, "status_description": description}
