"""Reads for automation: the routes in the order they are tried, recent alerts, and the
component a monitor names."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from incidents.models import Component
from statuspage.automation.models import AlertRoute, AlertState


def alert_routes() -> QuerySet[AlertRoute]:
    """Every route in the order alerts try them, with its components (two queries)."""
    return AlertRoute.objects.prefetch_related("components").order_by("position", "id")


def alert_states_recent(*, limit: int = 50) -> list[AlertState]:
    """The alerts seen last, newest first, with their route and incident (one query)."""
    return list(AlertState.objects.select_related("route", "incident")[:limit])


def components_named(ref: str) -> list[Component]:
    """The components a monitor means by `ref`: its public id or exact name. At most two are
    returned: enough for the caller to tell "none", "this one" and "ambiguous" apart."""
    return list(Component.objects.filter(Q(public_id=ref) | Q(name=ref))[:2])
