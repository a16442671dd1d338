"""Domain events: what the incident domain announces after a public change.

The domain imports no other app. It hands each event to the one function named by
settings.STATUSPAGE_EVENT_HANDLER (notifications.services.event_publish), called explicitly
inside the same transaction so that its outbox rows commit or roll back with the change.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.utils.module_loading import import_string


class EventKind:
    INCIDENT_CREATED = "incident.created"
    INCIDENT_UPDATED = "incident.updated"
    INCIDENT_RESOLVED = "incident.resolved"
    POSTMORTEM_PUBLISHED = "incident.postmortem_published"
    MAINTENANCE_SCHEDULED = "maintenance.scheduled"
    MAINTENANCE_RESCHEDULED = "maintenance.rescheduled"
    MAINTENANCE_REMINDER = "maintenance.reminder"
    MAINTENANCE_STARTED = "maintenance.started"
    MAINTENANCE_UPDATED = "maintenance.updated"
    MAINTENANCE_COMPLETED = "maintenance.completed"
    MAINTENANCE_CANCELLED = "maintenance.cancelled"
    COMPONENT_STATUS_CHANGED = "component.status_changed"


@dataclass(frozen=True)
class DomainEvent:
    kind: str
    notify: bool
    incident_id: int | None = None
    incident_update_id: int | None = None
    maintenance_id: int | None = None
    maintenance_update_id: int | None = None
    # Components the event concerns: subscribers scoped to any of them hear about it.
    component_ids: tuple[int, ...] = field(default_factory=tuple)
    # For component.status_changed: the ComponentStatusChange rows written.
    status_change_ids: tuple[int, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class Touched:
    """What one public change touched, recorded with its generation (models.PublicChange) so
    that the publisher renders only the documents that show it. Public ids throughout."""

    incidents: tuple[str, ...] = ()
    maintenance: tuple[str, ...] = ()
    # Components whose status or calendar (today's cell) the change may have moved.
    components: tuple[str, ...] = ()
    # Items may move between the pages of a listing (a window moved, an item added).
    listings: bool = False
    # Of `components`, those whose status the change moved; None: any of them may have. The
    # documents that show components' status now (the pages of the incidents covering them,
    # the badges) change only with these; their calendars with any of `components`.
    moved: tuple[str, ...] | None = None
    # False: the change moved nothing a link to its incidents shows elsewhere (name, status,
    # impact, span), only what their own pages and the listings of their updates show. A
    # calendar naming them then stays as it is.
    face: bool = True

    def as_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "incidents": sorted(self.incidents),
            "maintenance": sorted(self.maintenance),
            "components": sorted(self.components),
            "listings": self.listings,
        }
        if self.moved is not None:
            out["moved"] = sorted(self.moved)
        if not self.face:
            out["face"] = False
        return out


def publish(event: DomainEvent) -> None:
    # Looked up per call (import_string hits sys.modules) so settings overrides apply.
    import_string(settings.STATUSPAGE_EVENT_HANDLER)(event)


def generation_committed(generation: int, page_id: int | None = None) -> None:
    """A public change to page `page_id` (None: the default page) committed as its
    `generation`: hand it to settings' STATUSPAGE_GENERATION_HANDLER (statuspage.publish
    renders and publishes that page), if one is set. Called after commit, never inside the
    transaction."""
    handler = getattr(settings, "STATUSPAGE_GENERATION_HANDLER", "")
    if handler:
        import_string(handler)(generation, page_id)
