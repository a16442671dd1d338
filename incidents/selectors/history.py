"""Reads of /history (and its exports): the incidents and past maintenance windows of a window
of time, narrowed by component or text. Re-exported by incidents.selectors."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from incidents.models import Incident, IncidentUpdate, Maintenance, MaintenanceUpdate
from incidents.selectors import scope
from incidents.selectors.shared import shared
from incidents.services.common import PageRef, page_id_of


@dataclass(frozen=True)
class HistoryFilter:
    """What /history is narrowed to: one component (by id) and/or a text that the title, an
    update or a published postmortem contains. Empty means everything."""

    component_id: int | None = None
    text: str = ""


NO_FILTER = HistoryFilter()


def _incidents_in(incidents: QuerySet[Incident], narrow: HistoryFilter) -> QuerySet[Incident]:
    if narrow.component_id is not None:
        incidents = incidents.filter(components=narrow.component_id)
    if narrow.text:
        said = IncidentUpdate.objects.filter(incident=OuterRef("pk"), body__icontains=narrow.text)
        incidents = incidents.filter(
            Q(name__icontains=narrow.text)
            | Q(postmortem_published_at__isnull=False, postmortem_body__icontains=narrow.text)
            | Exists(said)
        )
    return incidents


def _maintenance_in(windows: QuerySet[Maintenance], narrow: HistoryFilter) -> QuerySet[Maintenance]:
    # History is what happened: a window still ahead (not started) is not history yet.
    windows = windows.filter(Q(scheduled_for__lte=timezone.now()) | Q(started_at__isnull=False))
    if narrow.component_id is not None:
        windows = windows.filter(components=narrow.component_id)
    if narrow.text:
        said = MaintenanceUpdate.objects.filter(
            maintenance=OuterRef("pk"), body__icontains=narrow.text
        )
        windows = windows.filter(Q(name__icontains=narrow.text) | Exists(said))
    return windows


def incidents_started_between(
    start: datetime,
    end: datetime,
    narrow: HistoryFilter = NO_FILTER,
    *,
    page: PageRef | None = None,
) -> QuerySet[Incident]:
    incidents = Incident.objects.filter(
        started_at__gte=start, started_at__lt=end, page_id=page_id_of(page)
    )
    return scope.with_updates(_incidents_in(incidents, narrow), IncidentUpdate).order_by(
        "-started_at", "-id"
    )


def maintenance_scheduled_between(
    start: datetime,
    end: datetime,
    narrow: HistoryFilter = NO_FILTER,
    *,
    page: PageRef | None = None,
) -> QuerySet[Maintenance]:
    windows = Maintenance.objects.filter(
        scheduled_for__gte=start, scheduled_for__lt=end, page_id=page_id_of(page)
    )
    return scope.with_updates(_maintenance_in(windows, narrow), MaintenanceUpdate).order_by(
        "-scheduled_for", "-id"
    )


@shared
def history_entries(
    start: datetime,
    end: datetime,
    narrow: HistoryFilter = NO_FILTER,
    *,
    limit: int,
    page: PageRef | None = None,
) -> tuple[list[Incident], list[Maintenance]]:
    """The first `limit` incidents and maintenance windows (each with its updates and
    components) of a history window, newest first: six queries, read once per publish for
    every language's copy of the page."""
    incidents = list(incidents_started_between(start, end, narrow, page=page)[:limit])
    windows = list(maintenance_scheduled_between(start, end, narrow, page=page)[:limit])
    return incidents, windows


@shared
def history_exists_before(
    moment: datetime, narrow: HistoryFilter = NO_FILTER, *, page: PageRef | None = None
) -> bool:
    """Whether any incident or past maintenance (matching `narrow`) started before `moment`."""
    page_id = page_id_of(page)
    incidents = _incidents_in(
        scope.incidents(Incident.objects.filter(started_at__lt=moment, page_id=page_id)), narrow
    )
    windows = _maintenance_in(
        scope.maintenance(Maintenance.objects.filter(scheduled_for__lt=moment, page_id=page_id)),
        narrow,
    )
    return incidents.values("id").union(windows.values("id")).exists()
