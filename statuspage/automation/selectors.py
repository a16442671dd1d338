"""Reads for automation: the routes in the order they are tried, recent alerts, and the
component a monitor names."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from incidents.models import Component, Page
from statuspage.automation.models import AlertRoute, AlertState


def alert_routes(page: Page | int | None = None) -> QuerySet[AlertRoute]:
    """Every route (of `page`, when given) in the order alerts try them, with its
    components (two queries)."""
    routes = AlertRoute.objects.prefetch_related("components").order_by("position", "id")
    return routes if page is None else routes.filter(page=page)


def alert_states_recent(*, limit: int = 50, page: Page | int | None = None) -> list[AlertState]:
    """The alerts seen last (by routes of `page`, when given), newest first, with their route
    and incident (one query)."""
    states = AlertState.objects.select_related("route", "incident")
    if page is not None:
        states = states.filter(route__page=page)
    return list(states[:limit])


def components_named(ref: str) -> list[Component]:
    """The components a monitor means by `ref`: its public id or exact name. At most two are
    returned: enough for the caller to tell "none", "this one" and "ambiguous" apart."""
    return list(Component.objects.filter(Q(public_id=ref) | Q(name=ref))[:2])
