"""What a read of the public site may see: every component of the page, or, for a reader of an
audience (docs/pages.md, "Audiences"), only the audience's components and the incidents and
maintenance windows that touch them.

The scope lives in a context variable set around one render (statuspage/public_cache/, the
one place an audience's document is rendered), and the selectors that list components,
incidents and maintenance apply it: no view filters anything itself, so a surface added later
is scoped as soon as it reads through the selectors.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from typing import Any, TypeVar

from django.db.models import Exists, Model, OuterRef, Prefetch, QuerySet

from incidents.models import (
    Component,
    Incident,
    IncidentComponent,
    IncidentUpdate,
    Maintenance,
    MaintenanceUpdate,
)

_components: ContextVar[frozenset[int] | None] = ContextVar("component_scope", default=None)
# The same components by public id: what updates' recorded component changes name them by.
_codes: ContextVar[frozenset[str] | None] = ContextVar("component_scope_codes", default=None)

M = TypeVar("M", bound=Model)


@contextlib.contextmanager
def components_only(component_ids: Iterable[int], public_ids: Iterable[str]) -> Iterator[None]:
    """Within the block, reads see only these components (by id, and the same by public id)
    and what touches them."""
    token = _components.set(frozenset(component_ids))
    codes = _codes.set(frozenset(public_ids))
    try:
        yield
    finally:
        _codes.reset(codes)
        _components.reset(token)


def current() -> frozenset[int] | None:
    """The component ids reads are narrowed to, or None (everything of the page)."""
    return _components.get()


def affected(entries: list[Any] | None) -> list[Any] | None:
    """An update's recorded component changes (AffectedComponent dicts), those of the scope."""
    codes = _codes.get()
    if codes is None or entries is None:
        return entries
    return [e for e in entries if isinstance(e, dict) and e.get("code") in codes]


def components(queryset: QuerySet[M], field: str = "id") -> QuerySet[M]:
    """`queryset` (of components, or of rows naming one through `field`) narrowed to the scope."""
    ids = _components.get()
    return queryset if ids is None else queryset.filter(**{f"{field}__in": ids})


def incidents(queryset: QuerySet[M]) -> QuerySet[M]:
    """Incidents touching at least one component of the scope (none other: an incident that
    names no component belongs to no audience)."""
    ids = _components.get()
    if ids is None:
        return queryset
    touching = IncidentComponent.objects.filter(incident=OuterRef("pk"), component_id__in=ids)
    return queryset.filter(Exists(touching))


def maintenance(queryset: QuerySet[M]) -> QuerySet[M]:
    """Maintenance windows touching at least one component of the scope."""
    ids = _components.get()
    if ids is None:
        return queryset
    through = Maintenance.components.through
    touching = through.objects.filter(maintenance=OuterRef("pk"), component_id__in=ids)
    return queryset.filter(Exists(touching))


def component_rows() -> QuerySet[Component]:
    """The components an incident or window shows as affected, within the scope."""
    return components(Component.objects.all())


# What carries updates: an incident or a maintenance window (each with its own update model).
_Parent = TypeVar("_Parent", Incident, Maintenance)


def with_updates(
    queryset: QuerySet[_Parent], update_model: type[IncidentUpdate] | type[MaintenanceUpdate]
) -> QuerySet[_Parent]:
    """The one place every list and permalink of incidents and maintenance passes through: an
    audience's reads keep what touches its components, and show only those as affected; each
    row comes with its updates (newest first) and its components."""
    narrowed = incidents(queryset) if queryset.model is Incident else maintenance(queryset)
    return narrowed.prefetch_related(
        Prefetch("updates", queryset=update_model.objects.order_by("-display_at", "-id")),
        Prefetch("components", queryset=component_rows()),
    )
