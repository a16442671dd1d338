"""Writes to alert routes: create, edit, delete, reorder; each audited."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from incidents.services import Actor, ServiceError, audit_record
from statuspage.automation.models import AlertRoute
from statuspage.automation.rules import check_name_template, parse_matchers

ROUTE_FIELDS = (
    "name",
    "enabled",
    "matchers",
    "firing_status",
    "open_incident",
    "incident_name_template",
    "impact_override",
    "notify",
)


def alert_route_save(
    *, actor: Actor, route: AlertRoute | None, components: Iterable, **fields
) -> AlertRoute:
    """Create (route=None) or edit a route. `matchers` may be given as text (one per line)."""
    unknown = set(fields) - set(ROUTE_FIELDS)
    if unknown:
        raise ServiceError(f"Cannot set {', '.join(sorted(unknown))} on a route.")
    if isinstance(fields.get("matchers"), str):
        fields["matchers"] = parse_matchers(fields["matchers"])
    name = (fields.get("name") or "").strip()
    if not name:
        raise ServiceError("A route needs a name.", field="name")
    fields["name"] = name
    components = list(components)
    if not components:
        raise ServiceError("Choose at least one component the route drives.", field="components")
    # A route belongs to its components' page (its list, its audit entries).
    pages = {c.page_id for c in components}
    if len(pages) > 1 or (route is not None and pages != {route.page_id}):
        raise ServiceError("Choose components of the route's own page only.", field="components")
    check_name_template(fields.get("incident_name_template", ""))
    with transaction.atomic():
        before = None
        if route is None:
            top = AlertRoute.objects.aggregate(top=Max("position"))["top"]
            route = AlertRoute(position=(top or 0) + 1, page_id=pages.pop())
        else:
            route = AlertRoute.objects.select_for_update().get(pk=route.pk)
            before = _snapshot(route)
        for field, value in fields.items():
            setattr(route, field, value)
        route.updated_at = timezone.now()
        route.save()
        route.components.set(components)
        audit_record(
            actor=actor,
            action="alert_route.update" if before else "alert_route.create",
            obj=route,
            before=before,
            after=_snapshot(route),
        )
    return route


def alert_route_delete(*, actor: Actor, route: AlertRoute) -> None:
    with transaction.atomic():
        audit_record(actor=actor, action="alert_route.delete", obj=route, before=_snapshot(route))
        route.delete()


def alert_route_move(*, actor: Actor, route: AlertRoute, direction: str) -> None:
    """Swap a route with its neighbour above ("up") or below ("down"); routes are tried in order."""
    if direction not in ("up", "down"):
        raise ServiceError("Move a route up or down.")
    with transaction.atomic():
        routes = list(AlertRoute.objects.select_for_update().order_by("position", "id"))
        # Renumber first so equal positions (from older rows) cannot make a swap a no-op.
        index = next(i for i, r in enumerate(routes) if r.pk == route.pk)
        other = index - 1 if direction == "up" else index + 1
        if not 0 <= other < len(routes):
            return
        routes[index], routes[other] = routes[other], routes[index]
        for position, item in enumerate(routes, start=1):
            if item.position != position:
                AlertRoute.objects.filter(pk=item.pk).update(position=position)
        audit_record(
            actor=actor, action="alert_route.move", obj=route, after={"direction": direction}
        )


def _snapshot(route: AlertRoute) -> dict:
    data = {field: getattr(route, field) for field in ROUTE_FIELDS}
    data["position"] = route.position
    if route.pk:
        data["components"] = sorted(route.components.values_list("public_id", flat=True))
    return data
