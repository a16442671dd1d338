"""Reads of the incident domain. Each selector runs a fixed number of queries, whatever the
number of components, incidents or days. Uptime reads live in incidents/selectors/uptime.py and
/history's in incidents/selectors/history.py; both are re-exported here."""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.db.models import Q, QuerySet

from incidents.enums import (
    ACTIVE_MAINTENANCE_STATUSES,
    OPEN_INCIDENT_STATUSES,
    ComponentStatus,
    MaintenanceStatus,
    worst_component_status,
)
from incidents.models import (
    AuditEntry,
    Component,
    ComponentGroup,
    Incident,
    IncidentComponent,
    IncidentTemplate,
    IncidentUpdate,
    Maintenance,
    MaintenanceUpdate,
    Page,
    PublicChange,
)
from incidents.rules import incident_current_impact, page_status
from incidents.selectors import scope
from incidents.selectors.history import (
    HistoryFilter,
    history_entries,
    history_exists_before,
    incidents_started_between,
    maintenance_scheduled_between,
)
from incidents.selectors.shared import shared
from incidents.selectors.uptime import (
    READER_MARGIN,
    ComponentUptime,
    IncidentRef,
    UptimeDay,
    incidents_by_day,
    incidents_touching,
    refs_by_day,
    uptime_daily,
)
from incidents.services.common import (
    GENERATION_CACHE_KEY,
    GENERATION_CACHE_SECONDS,
    PageRef,
    generation_cache_key,
    page_id_of,
    page_row,
)
from incidents.templating import render_sandboxed, template_context

# Every read of page-owned objects takes `page` (a Page or its id). None means the default page
# (the oldest), resolved inside the same query, for code that has no request naming a page yet
# (management commands, the publisher).


@shared
def page_get(page: PageRef | None = None) -> Page:
    """The page, or the default page for None (one query). Raises Page.DoesNotExist."""
    return page_row(page).get()


@shared
def page_default() -> Page:
    """The default page: the oldest one, served where nothing names another (one query)."""
    return page_row(None).get()


def pages_all() -> list[Page]:
    """Every page, oldest (the default page) first (one query)."""
    return list(Page.objects.order_by("id"))


def page_by_slug(slug: str) -> Page | None:
    return Page.objects.filter(slug=slug).first()


def page_by_host(host: str) -> Page | None:
    """The page answering on this host name (lowercase, without port), if any (one query)."""
    return Page.objects.filter(hosts__host=host).first()


@shared
def page_time_zone(page: PageRef | None = None) -> zoneinfo.ZoneInfo:
    """The page's time zone, without loading the rest of the row (one query)."""
    return zoneinfo.ZoneInfo(page_row(page).values_list("time_zone", flat=True).get())


def page_zone_and_visibility(page: PageRef | None = None) -> tuple[zoneinfo.ZoneInfo, str]:
    """The page's time zone and visibility, without the rest of the row (one query): what the
    public cache reads once per generation."""
    zone, visibility = page_row(page).values_list("time_zone", "visibility").get()
    return zoneinfo.ZoneInfo(zone), visibility


# Which page is the default page, as the shared cache remembers it (for readers naming none).
DEFAULT_PAGE_CACHE_KEY = f"{GENERATION_CACHE_KEY}:default-page"


def public_generation(page: PageRef | None = None) -> int:
    """The counter every public change of this page bumps; public caches key its documents on
    it. None: the default page's."""
    return page_generation(page)[1]


def page_generation(page: PageRef | None = None) -> tuple[int, int]:
    """(page id, generation) of the page, or of the default page for None: at most one query,
    none when the shared cache has both."""
    if page is None:
        page_id: int | None = cache.get(DEFAULT_PAGE_CACHE_KEY)
    else:
        page_id = page if isinstance(page, int) else page.pk
    generation: int | None = None if page_id is None else cache.get(generation_cache_key(page_id))
    if page_id is None or generation is None:
        page_id, generation = page_row(page_id).values_list("id", "generation").get()
        if page is None:
            cache.set(DEFAULT_PAGE_CACHE_KEY, page_id, GENERATION_CACHE_SECONDS)
        cache.set(generation_cache_key(page_id), generation, GENERATION_CACHE_SECONDS)
    return page_id, generation


# --- components -------------------------------------------------------------------------------


@dataclass
class GroupNode:
    group: ComponentGroup
    components: list[Component]
    is_group = True

    @property
    def status(self) -> ComponentStatus:
        """A group's status is the worst of its children."""
        return worst_component_status(c.status for c in self.components)


@dataclass
class ComponentTree:
    """Top-level entries in page order: GroupNode or ungrouped Component."""

    entries: list[GroupNode | Component] = field(default_factory=list)

    @property
    def components(self) -> list[Component]:
        out: list[Component] = []
        for entry in self.entries:
            out.extend(entry.components if isinstance(entry, GroupNode) else [entry])
        return out

    @property
    def groups(self) -> list[GroupNode]:
        return [e for e in self.entries if isinstance(e, GroupNode)]


@shared
def component_tree(page: PageRef | None = None) -> ComponentTree:
    """Groups and components in page order (two queries). Groups and ungrouped components share
    one ordering by position; a group sorts before a component at the same position."""
    page_id = page_id_of(page)
    groups = {g.id: GroupNode(g, []) for g in ComponentGroup.objects.filter(page_id=page_id)}
    loose: list[Component] = []
    for component in scope.components(Component.objects.filter(page_id=page_id)):
        if component.group_id in groups:
            groups[component.group_id].components.append(component)
        else:
            loose.append(component)
    unsorted: list[GroupNode | Component] = [*groups.values(), *loose]
    if scope.current() is not None:
        # An audience sees no group all of whose members it does not see.
        unsorted = [e for e in unsorted if not isinstance(e, GroupNode) or e.components]
    entries = sorted(
        unsorted,
        key=lambda e: (
            (e.group.position, 0, e.group.id) if isinstance(e, GroupNode) else (e.position, 1, e.id)
        ),
    )
    return ComponentTree(entries)


@shared
def status_summary(
    components: Sequence[Component] | None = None, *, page: PageRef | None = None
) -> tuple[str, str]:
    """The page's top-level (indicator, description): Statuspage's blend of every component's
    status, raised by each unresolved incident to at least its *current* impact (its override,
    else what it imposes on its components now; the peak stays in its recorded impact for
    history). Two queries (three without `components`)."""
    statuses: Iterable[str]
    page_id = page_id_of(page)
    if components is None:
        statuses = scope.components(Component.objects.filter(page_id=page_id)).values_list(
            "status", flat=True
        )
    else:
        statuses = [c.status for c in components]
    imposed: defaultdict[int, list[str]] = defaultdict(list)
    for incident_id, status in scope.components(
        IncidentComponent.objects.filter(
            incident__status__in=OPEN_INCIDENT_STATUSES, incident__page_id=page_id
        ),
        "component_id",
    ).values_list("incident_id", "status"):
        imposed[incident_id].append(status)
    impacts = [
        incident_current_impact(override, imposed[incident_id])
        for incident_id, override in scope.incidents(
            Incident.objects.filter(status__in=OPEN_INCIDENT_STATUSES, page_id=page_id)
        ).values_list("id", "impact_override")
    ]
    indicator, description = page_status(statuses, impacts)
    return indicator.value, description


# --- incidents and maintenance ------------------------------------------------------------------


def incidents_unresolved(page: PageRef | None = None) -> QuerySet[Incident]:
    return scope.with_updates(
        Incident.objects.filter(status__in=OPEN_INCIDENT_STATUSES, page_id=page_id_of(page)),
        IncidentUpdate,
    ).order_by("-started_at", "-id")


def incidents_recent(
    *, limit: int = 50, offset: int = 0, page: PageRef | None = None
) -> QuerySet[Incident]:
    return scope.with_updates(
        Incident.objects.filter(page_id=page_id_of(page)), IncidentUpdate
    ).order_by("-started_at", "-id")[offset : offset + limit]


def incidents_resolved_since(since: datetime, page: PageRef | None = None) -> QuerySet[Incident]:
    return scope.with_updates(
        Incident.objects.exclude(status__in=OPEN_INCIDENT_STATUSES).filter(
            resolved_at__gte=since, page_id=page_id_of(page)
        ),
        IncidentUpdate,
    ).order_by("-started_at", "-id")


def maintenance_upcoming(page: PageRef | None = None) -> QuerySet[Maintenance]:
    return scope.with_updates(
        Maintenance.objects.filter(status=MaintenanceStatus.SCHEDULED, page_id=page_id_of(page)),
        MaintenanceUpdate,
    ).order_by("scheduled_for", "id")


def maintenance_active(page: PageRef | None = None) -> QuerySet[Maintenance]:
    return scope.with_updates(
        Maintenance.objects.filter(
            status__in=ACTIVE_MAINTENANCE_STATUSES, page_id=page_id_of(page)
        ),
        MaintenanceUpdate,
    ).order_by("scheduled_for", "id")


def maintenance_recent(
    *, limit: int = 50, offset: int = 0, page: PageRef | None = None
) -> QuerySet[Maintenance]:
    return scope.with_updates(
        Maintenance.objects.filter(page_id=page_id_of(page)), MaintenanceUpdate
    ).order_by("-scheduled_for", "-id")[offset : offset + limit]


__all__ = [
    "ComponentTree",
    "ComponentUptime",
    "GroupNode",
    "UptimeDay",
    "component_tree",
    "incidents_recent",
    "incidents_resolved_since",
    "incidents_unresolved",
    "maintenance_active",
    "maintenance_recent",
    "maintenance_upcoming",
    "page_get",
    "public_generation",
    "status_summary",
    "uptime_daily",
]


# --- single public objects (api, widget) --------------------------------------------------------


@shared
def incident_by_public_id(public_id: str, page: PageRef | None = None) -> Incident | None:
    """One incident with its updates (newest first) and components: three queries."""
    incidents = Incident.objects.filter(public_id=public_id, page_id=page_id_of(page))
    return scope.with_updates(incidents, IncidentUpdate).first()


@shared
def maintenance_by_public_id(public_id: str, page: PageRef | None = None) -> Maintenance | None:
    """One maintenance window with its updates (newest first) and components: three queries."""
    windows = Maintenance.objects.filter(public_id=public_id, page_id=page_id_of(page))
    return scope.with_updates(windows, MaintenanceUpdate).first()


def incidents_by_public_ids(public_ids: Sequence[str]) -> QuerySet[Incident]:
    """The incidents of many ids with their updates and components, as incident_by_public_id
    loads one: three queries for all of them (the publisher's bulk render of their JSON)."""
    return scope.with_updates(Incident.objects.filter(public_id__in=public_ids), IncidentUpdate)


def maintenance_by_public_ids(public_ids: Sequence[str]) -> QuerySet[Maintenance]:
    """The maintenance windows of many ids, as maintenance_by_public_id loads one."""
    return scope.with_updates(
        Maintenance.objects.filter(public_id__in=public_ids), MaintenanceUpdate
    )


# --- audit (dashboard) ---------------------------------------------------------------------------


def audit_entries(
    *,
    actor: str = "",
    object_type: str = "",
    action: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
    page: PageRef | None = None,
    install_wide: bool = True,
) -> QuerySet[AuditEntry]:
    """Audit entries, newest first, narrowed by whichever filters are given.

    With `page`: that page's entries, and with `install_wide` those of what belongs to no
    page (operators, keys) too."""
    entries = AuditEntry.objects.all()
    if page is not None:
        mine = Q(page_id=page_id_of(page))
        entries = entries.filter(mine | Q(page__isnull=True) if install_wide else mine)
    if actor:
        entries = entries.filter(actor__icontains=actor)
    if object_type:
        entries = entries.filter(object_type=object_type)
    if action:
        entries = entries.filter(action__icontains=action)
    if since is not None:
        entries = entries.filter(at__gte=since)
    if until is not None:
        entries = entries.filter(at__lt=until)
    return entries.order_by("-at", "-id")


def audit_object_types() -> list[str]:
    # The kinds of object the log knows (every page's: names of models, nothing of a page).
    return list(AuditEntry.objects.order_by().values_list("object_type", flat=True).distinct())


# --- public site reads (added for the public status site) ------------------------------------


def incident_get(public_id: str, page: PageRef | None = None) -> Incident | None:
    """One incident of the page with its updates (newest first) and components, or None."""
    return incident_by_public_id(public_id, page)


def maintenance_get(public_id: str, page: PageRef | None = None) -> Maintenance | None:
    return maintenance_by_public_id(public_id, page)


__all__ += [  # noqa: PLE0604
    "READER_MARGIN",
    "HistoryFilter",
    "IncidentRef",
    "incidents_touching",
    "refs_by_day",
    "history_entries",
    "history_exists_before",
    "incident_get",
    "incidents_by_day",
    "incidents_started_between",
    "maintenance_get",
    "maintenance_scheduled_between",
]


# --- management API lists -------------------------------------------------------------------


def incidents_matching(q: str | None = None, *, page: PageRef | None = None) -> QuerySet[Incident]:
    """Incidents newest first, those whose name contains `q` when given (three queries)."""
    incidents = Incident.objects.filter(page_id=page_id_of(page))
    if q:
        incidents = incidents.filter(name__icontains=q)
    return scope.with_updates(incidents, IncidentUpdate).order_by("-started_at", "-id")


def maintenance_matching(
    q: str | None = None, *, page: PageRef | None = None
) -> QuerySet[Maintenance]:
    """Maintenance windows, latest start first, narrowed by name like incidents_matching."""
    windows = Maintenance.objects.filter(page_id=page_id_of(page))
    if q:
        windows = windows.filter(name__icontains=q)
    return scope.with_updates(windows, MaintenanceUpdate).order_by("-scheduled_for", "-id")


# --- incident templates ------------------------------------------------------------------------


def incident_templates(page: PageRef | None = None) -> QuerySet[IncidentTemplate]:
    """Every incident template of the page by name, with its components (two queries)."""
    return (
        IncidentTemplate.objects.filter(page_id=page_id_of(page))
        .prefetch_related("components")
        .order_by("name", "pk")
    )


def incident_template_name_taken(
    name: str, *, exclude: IncidentTemplate | None = None, page: PageRef | None = None
) -> bool:
    """Whether another template of the page has this name, ignoring case (operators pick them
    by name). The page is the excluded template's when one is given."""
    if page is None and exclude is not None:
        page = exclude.page_id
    taken = IncidentTemplate.objects.filter(name__iexact=name.strip(), page_id=page_id_of(page))
    if exclude is not None:
        taken = taken.exclude(pk=exclude.pk)
    return taken.exists()


@dataclass(frozen=True)
class RenderedTemplate:
    """What an incident declared from a template starts with."""

    title: str
    body: str
    status: str
    component_statuses: dict[int, str]


def incident_template_render(template: IncidentTemplate) -> RenderedTemplate:
    """The template's title and body rendered in the sandbox for this page and its components;
    raises incidents.templating.TemplateRenderError when they do not render."""
    components = list(template.components.all())
    context = template_context(page_get(template.page_id).name, [c.name for c in components])
    return RenderedTemplate(
        title=render_sandboxed(template.title, context),
        body=render_sandboxed(template.body, context),
        status=template.status,
        component_statuses={c.id: template.component_status for c in components},
    )


# --- what is published (statuspage/publish) ------------------------------------------------------


@dataclass(frozen=True)
class PublicIds:
    """The public ids of everything that has a document of its own: incident and maintenance
    permalinks, their JSON, component and group badges."""

    incidents: list[str]
    maintenance: list[str]
    components: list[str]
    groups: list[str]


def public_ids(page: PageRef | None = None) -> PublicIds:
    """Four queries, whatever the number of objects."""
    page_id = page_id_of(page)

    def ids(model: type[Incident | Maintenance | Component | ComponentGroup]) -> list[str]:
        rows = model.objects.filter(page_id=page_id).order_by("id")
        return list(rows.values_list("public_id", flat=True))

    return PublicIds(
        incidents=ids(Incident),
        maintenance=ids(Maintenance),
        components=ids(Component),
        groups=ids(ComponentGroup),
    )


# A publisher further behind than this renders everything rather than read the log.
PUBLIC_CHANGES_READ = 200


def public_changes(
    after: int, upto: int, page: PageRef | None = None
) -> list[dict[str, Any]] | None:
    """What each generation in (after, upto] touched (models.PublicChange), oldest first; None
    when that cannot be told: a generation without its record (made before the log existed,
    pruned, a restore's jump) or one whose write did not say what it touched."""
    if upto - after > PUBLIC_CHANGES_READ:
        return None
    rows = list(
        PublicChange.objects.filter(
            generation__gt=after, generation__lte=upto, page_id=page_id_of(page)
        )
        .order_by("generation")
        .values_list("touched", flat=True)
    )
    known = [row for row in rows if row is not None]
    if len(known) != upto - after:
        return None
    return known


def public_ids_covering(component_ids: Iterable[str], page: PageRef | None = None) -> PublicIds:
    """The incidents and maintenance windows that cover any of these components (by public
    id): each one's page shows their status now. Two queries."""
    wanted = list(component_ids)
    if not wanted:
        return PublicIds([], [], [], [])
    return PublicIds(
        incidents=list(
            Incident.objects.filter(
                affected__component__public_id__in=wanted, page_id=page_id_of(page)
            )
            .order_by("id")
            .values_list("public_id", flat=True)
            .distinct()
        ),
        maintenance=list(
            Maintenance.objects.filter(components__public_id__in=wanted, page_id=page_id_of(page))
            .order_by("id")
            .values_list("public_id", flat=True)
            .distinct()
        ),
        components=wanted,
        groups=[],
    )


def components_not_operational(page: PageRef | None = None) -> list[str]:
    """Public ids of the components not operational now: their uptime figures and today's
    cells move by the minute, with no write. One query."""
    return list(
        Component.objects.filter(page_id=page_id_of(page))
        .exclude(status=ComponentStatus.OPERATIONAL)
        .order_by("id")
        .values_list("public_id", flat=True)
    )
