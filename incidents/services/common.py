"""Pieces every write service shares: the actor, the error type, locking, the status
recomputation, the audit trail and the public generation bump."""

from __future__ import annotations

import contextlib
import logging
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db import models, transaction
from django.db.models import F, Max, Subquery
from django.utils import timezone

from incidents import events
from incidents.enums import ACTIVE_MAINTENANCE_STATUSES, OPEN_INCIDENT_STATUSES, ChangeSource
from incidents.errors import ServiceError
from incidents.models import (
    AuditEntry,
    Component,
    ComponentStatusChange,
    IncidentComponent,
    Maintenance,
    Page,
    PublicChange,
    default_page_id,
)
from incidents.rules import effective_component_status

logger = logging.getLogger(__name__)

GENERATION_CACHE_KEY = "public:generation"
# The change log the publisher reads (models.PublicChange) keeps this many generations.
PUBLIC_CHANGES_KEPT = 1000
# Bounds staleness if the cache write after a commit is lost (e.g. Redis blinked): readers
# fall back to the database at most once per this many seconds.
GENERATION_CACHE_SECONDS = 1
# Clocks of operators' machines differ a little; anything further ahead is a mistake.
FUTURE_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class Actor:
    """Who makes a change and through which door (dashboard, api, automation, admin, ...)."""

    label: str
    via: str
    user_id: int | None = None

    @classmethod
    def for_user(cls, user: AbstractBaseUser | AnonymousUser, via: str) -> Actor:
        return cls(label=user.get_username(), via=via, user_id=user.pk)


SYSTEM = Actor(label="system", via="system")

# An audit entry's before or after: field name -> JSON-safe value.
AuditValues = dict[str, object]


def page_lock(page: PageRef | None = None) -> Page:
    """Take the page row lock (inside a transaction). Every domain write takes it first, so
    recomputing statuses from several incidents never races with another write (writes are
    rare; reads never lock). Writers outside the domain that must not interleave with it
    (automation deciding whether an alert opens an incident) take it too. None: the default
    page's row, which every write that names no page takes, so those stay serialised."""
    return page_row(page).select_for_update().get()


PageRef = Page | int
"""A page, or its id: what the page-scoped services and selectors take."""


def page_row(page: PageRef | None = None) -> models.QuerySet[Page]:
    """The one page `page` names, or the default page (the oldest) for None: one row, in the
    same query as whatever is read from it (no extra query to find the default page)."""
    if page is None:
        return Page.objects.filter(pk=default_page_subquery())
    return Page.objects.filter(pk=page if isinstance(page, int) else page.pk)


def default_page_subquery() -> Subquery:
    """The default page's id as a subquery, for filters of code that names no page yet."""
    return Subquery(Page.objects.order_by("id").values("id")[:1])


def page_id_of(page: PageRef | None) -> int | Subquery:
    """A value for `page_id=` filters: the page's id, or the default page's (as a subquery)."""
    if page is None:
        return default_page_subquery()
    return page if isinstance(page, int) else page.pk


def resolve_at(at: datetime | None) -> datetime:
    now = timezone.now()
    if at is None:
        return now
    if timezone.is_naive(at):
        raise ServiceError("A time must carry its time zone.", field="at")
    if at > now + FUTURE_SKEW:
        raise ServiceError("That time is in the future.", field="at")
    return at


def check_log_order(component_ids: Iterable[int], at: datetime) -> None:
    """A backdated change may not land before a component's last logged change: the uptime
    computation relies on the log being in order."""
    last = ComponentStatusChange.objects.filter(component_id__in=list(component_ids)).aggregate(
        last=Max("at")
    )["last"]
    if last is not None and at < last:
        raise ServiceError(
            f"That time is before the last recorded status change ({last.isoformat()}).",
            field="at",
        )


def recompute_components(
    component_ids: Iterable[int],
    *,
    at: datetime,
    source: str,
    actor: Actor,
    incident_id: int | None = None,
    maintenance_id: int | None = None,
) -> dict[int, tuple[str, str]]:
    """Set each component's public status from its base status, the open incidents and the
    running maintenance that cover it; log every change. Returns {id: (old, new)} of changes."""
    ids = set(component_ids)
    if not ids:
        return {}
    imposed: defaultdict[int, list[str]] = defaultdict(list)
    for component_id, status in IncidentComponent.objects.filter(
        component_id__in=ids, incident__status__in=OPEN_INCIDENT_STATUSES
    ).values_list("component_id", "status"):
        imposed[component_id].append(status)
    in_maintenance = set(
        Maintenance.components.through.objects.filter(
            component_id__in=ids, maintenance__status__in=ACTIVE_MAINTENANCE_STATUSES
        ).values_list("component_id", flat=True)
    )
    changed: dict[int, tuple[str, str]] = {}
    log: list[ComponentStatusChange] = []
    for component in Component.objects.filter(id__in=ids):
        new = effective_component_status(
            component.base_status,
            imposed[component.id],
            component.id in in_maintenance,
            component.maintenance_by_hand,
        )
        if new == component.status:
            continue
        changed[component.id] = (component.status, new.value)
        log.append(
            ComponentStatusChange(
                component=component,
                old_status=component.status,
                new_status=new,
                at=at,
                source=source,
                actor=actor.label,
                incident_id=incident_id,
                maintenance_id=maintenance_id,
            )
        )
        Component.objects.filter(pk=component.pk).update(status=new, updated_at=at)
    ComponentStatusChange.objects.bulk_create(log)
    touched_pages = {entry.component.page_id for entry in log}
    for page_id in sorted(page_id for page_id in touched_pages if page_id is not None):
        if before_today(at, page_id):
            history_changed(page_id)
    return changed


def before_today(at: datetime, page: PageRef | None = None) -> bool:
    """Whether `at` lies on a day that is already over in the page's zone (a backdated write:
    a midnight can pass between taking `now` and writing, so even "now" is checked)."""
    tz = zoneinfo.ZoneInfo(page_row(page).values_list("time_zone", flat=True).get())
    today = timezone.now().astimezone(tz).date()
    return at.astimezone(tz).date() < today


def history_changed(page: PageRef | None = None) -> None:
    """Mark the page's finished days as changed, in this transaction: the public pages cache
    each component's finished days keyed on this version, so the next render recounts them.
    A reader loads the version before the data it counts, so a render racing this write can
    only store stale days under the version this write retires. None: every page (a write
    that does not say whose days it changed retires them all, which is always correct)."""
    pages = Page.objects.all() if page is None else page_row(page)
    pages.update(history_version=F("history_version") + 1)


def audit_record(
    *,
    actor: Actor,
    action: str,
    obj: models.Model,
    before: Mapping[str, object] | None = None,
    after: Mapping[str, object] | None = None,
) -> AuditEntry:
    """One audit entry: who did `action` to `obj` and through which door. Every app's writes
    record one in the transaction of the change, so the audit log covers every door."""
    object_type = obj._meta.model_name
    assert object_type is not None  # None only while Django builds the model class
    return AuditEntry.objects.create(
        user_id=actor.user_id,
        actor=actor.label,
        via=actor.via,
        action=action,
        object_type=object_type,
        object_id=getattr(obj, "public_id", None) or str(obj.pk),
        object_repr=str(obj)[:200],
        before=before,
        after=after,
        page_id=_audit_page_id(obj),
    )


# Objects that belong to a page through what they hang on (an update through its incident,
# a monitor through its component, a delivery through its subscriber), searched in order.
_PAGE_PATHS = ("incident", "maintenance", "component", "subscriber", "route", "provider")


def _audit_page_id(obj: models.Model) -> int | None:
    """The page an audited object belongs to, or None when it belongs to none."""
    if isinstance(obj, Page):
        return obj.pk
    for _ in range(3):
        page_id = getattr(obj, "page_id", None)
        if isinstance(page_id, int):
            return page_id
        parent = next((getattr(obj, p) for p in _PAGE_PATHS if hasattr(obj, p + "_id")), None)
        if not isinstance(parent, models.Model):
            return None
        obj = parent
    return None


def audit_snapshot(obj: models.Model, fields: Iterable[str]) -> AuditValues:
    """JSON-safe values of some fields, for the audit trail's before/after."""
    out: AuditValues = {}
    for name in fields:
        value = getattr(obj, name)
        out[name] = value.isoformat() if hasattr(value, "isoformat") else value
    return out


def public_changed(touched: events.Touched | None = None, *, page: PageRef | None = None) -> None:
    """Bump the public generation in this transaction; publish it to the cache on commit so
    public readers see the change at once (within GENERATION_CACHE_SECONDS at worst).

    `touched` says which objects the change concerns, recorded with the generation so that a
    publish renders only their documents; None (the default) means "anything": the publish
    renders every document, which is always correct, so only writes that know exactly what
    they changed pass it. Each page has its own generation: `page` names the page whose public
    documents changed; None bumps every page's (always correct, never stale)."""
    pages = Page.objects.all() if page is None else page_row(page)
    pages.update(generation=F("generation") + 1, updated_at=timezone.now())
    bumped = list(pages.order_by("id").values_list("id", "generation"))
    for page_id, new in bumped:
        PublicChange.objects.create(
            page_id=page_id, generation=new, touched=None if touched is None else touched.as_json()
        )
        PublicChange.objects.filter(
            page_id=page_id, generation__lte=new - PUBLIC_CHANGES_KEPT
        ).delete()
    page_ids = [page_id for page_id, _ in bumped]

    def _publish() -> None:
        default_id = default_page_id()
        for page_id in page_ids:
            try:
                generation = _generation_to_cache(page_id)
            except Exception:  # noqa: BLE001 - a cache outage must not fail a committed write
                cache_delete_quietly(page_id)
                generation = _stored_generation(page_id)
            try:
                events.generation_committed(generation, None if page_id == default_id else page_id)
            except Exception:  # noqa: BLE001 - nor may whatever follows the change (a publish)
                logger.exception("after-commit handler of generation %s failed", generation)

    transaction.on_commit(_publish)


def generation_cache_key(page_id: int) -> str:
    """The shared cache's key of one page's committed generation."""
    return f"{GENERATION_CACHE_KEY}:{page_id}"


def _stored_generation(page_id: int) -> int:
    return Page.objects.filter(pk=page_id).values_list("generation", flat=True).get()


# Rounds of _generation_to_cache before it leaves the rest to the key's expiry.
GENERATION_SET_ROUNDS = 3


def _generation_to_cache(page_id: int) -> int:
    """Put the committed generation in the shared cache, and return it. Two commits' callbacks
    (on two web nodes, or two threads) may interleave: each reads the generation, then sets
    it, and the older value set last would hide the newer one from every node until the key
    expires, so a node that had seen the newer one would go back to documents cached as the
    older. So after setting, read again, and set the newer value when there is one: the last
    setter always reads after every commit whose value it may have overwritten."""
    key = generation_cache_key(page_id)
    generation = _stored_generation(page_id)
    for _ in range(GENERATION_SET_ROUNDS):
        cache.set(key, generation, GENERATION_CACHE_SECONDS)
        latest = _stored_generation(page_id)
        if latest == generation:
            break
        generation = latest
    return generation


def cache_delete_quietly(page_id: int) -> None:
    # The key expires within a second anyway.
    with contextlib.suppress(Exception):
        cache.delete(generation_cache_key(page_id))


def source_for(actor: Actor, default: str) -> str:
    return ChangeSource.AUTOMATION if actor.via == "automation" else default
