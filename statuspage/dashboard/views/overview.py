"""The overview: page status, open incidents, maintenance, component board, queue health."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from incidents import selectors
from incidents.enums import ComponentStatus
from incidents.models import Component
from incidents.queue import queue_is_reachable
from incidents.services import (
    Actor,
    ServiceError,
    component_maintenance_end,
    component_status_set,
)
from notifications.selectors import outbox_health
from statuspage.access.models import Role
from statuspage.dashboard.forms.common import INCIDENT_COMPONENT_CHOICES
from statuspage.dashboard.forms.components import StatusForm
from statuspage.dashboard.permissions import operator_required
from statuspage.dashboard.presenters import audit_rows
from statuspage.dashboard.site_check import public_url_problem

RECENT_AUDIT = 15
UNDO_SECONDS = 10
UNDO_KEY = "dashboard_board_undo"
CONFIRM_STATUSES = {ComponentStatus.PARTIAL_OUTAGE, ComponentStatus.MAJOR_OUTAGE}


@require_GET
@operator_required(Role.VIEWER)
def overview(request):
    page = request.dashboard_page
    tree = selectors.component_tree(page)
    indicator, description = selectors.status_summary(tree.components, page=page)
    context = {
        "page": page,
        "public_url_problem": public_url_problem(page),
        "tree": tree,
        "indicator": indicator,
        "description": description,
        "incidents": selectors.incidents_unresolved(page),
        "maintenance_active": selectors.maintenance_active(page),
        "maintenance_upcoming": selectors.maintenance_upcoming(page),
        # The board's buttons: the statuses an incident may impose, and maintenance by hand.
        "status_choices": [
            *INCIDENT_COMPONENT_CHOICES,
            (ComponentStatus.UNDER_MAINTENANCE.value, ComponentStatus.UNDER_MAINTENANCE.label),
        ],
        "queue_ok": queue_is_reachable(),
        "delivery_health": outbox_health(page=page),
        "audit": audit_rows(
            selectors.audit_entries(page=page, install_wide=request.install_wide)[:RECENT_AUDIT]
        ),
        "undo": _undo_offer(request, tree.components),
    }
    return render(request, "dashboard/overview.html", context)


@require_POST
@operator_required(Role.RESPONDER)
def component_status(request, pk: int):
    """One-click status change from the component board (sets the component's own status).

    An outage asks for confirmation first (a stray click must not turn the banner red); any
    change can be undone from the overview for UNDO_SECONDS. Back on the overview the browser
    returns to the row it changed, not the top of the page.
    """
    component = get_object_or_404(Component, pk=pk, page=request.dashboard_page)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a status.")
        return _back_to(component)
    data = form.cleaned_data
    wanted = data["status"]
    if wanted in CONFIRM_STATUSES and not (data["confirmed"] or data["undo"]):
        return _confirm(request, component, wanted, data["notify"])
    previous = _own_status(component)
    try:
        component = component_status_set(
            component=component,
            status=wanted,
            notify=data["notify"] is not False,
            actor=Actor.for_user(request.user, via="dashboard"),
        )
    except ServiceError as exc:
        messages.error(request, f"{component.name}: {exc.message}")
        return _back_to(component)
    messages.success(request, f"{component.name} is now {component.get_status_display()}.")
    if data["undo"]:
        request.session.pop(UNDO_KEY, None)
    elif previous != wanted:
        request.session[UNDO_KEY] = {
            "pk": component.pk,
            "from": previous,
            "to": wanted,
            "at": timezone.now().timestamp(),
        }
    return _back_to(component)


def _own_status(component: Component) -> str:
    """What the board set last: maintenance by hand lies over the component's own status."""
    if component.maintenance_by_hand:
        return ComponentStatus.UNDER_MAINTENANCE
    return component.base_status


def _back_to(component: Component) -> HttpResponseRedirect:
    return HttpResponseRedirect(f"{reverse('dashboard-overview')}#c-{component.pk}")


def _confirm(request, component: Component, status: str, notify: bool | None) -> HttpResponse:
    context = {
        "component": component,
        "status": status,
        "status_label": ComponentStatus(status).label,
        "notify": notify,
    }
    return render(request, "dashboard/components/confirm_status.html", context)


def _undo_offer(request, components) -> dict | None:
    """The last board change, while it may still be undone and nothing has changed it since."""
    offer = request.session.get(UNDO_KEY)
    if not offer or timezone.now().timestamp() - offer["at"] > UNDO_SECONDS:
        return None
    component = next((c for c in components if c.pk == offer["pk"]), None)
    if component is None or _own_status(component) != offer["to"]:
        return None
    return {**offer, "name": component.name, "label": ComponentStatus(offer["from"]).label}


@require_POST
@operator_required(Role.RESPONDER)
def component_maintenance_end_view(request, pk: int):
    """End a maintenance set by hand from the board: the status beneath shows again."""
    component = get_object_or_404(Component, pk=pk, page=request.dashboard_page)
    try:
        component = component_maintenance_end(
            component=component,
            notify=True,
            actor=Actor.for_user(request.user, via="dashboard"),
        )
    except ServiceError as exc:
        messages.error(request, f"{component.name}: {exc.message}")
    else:
        messages.success(
            request,
            f"{component.name}: maintenance ended; it is now {component.get_status_display()}.",
        )
    return _back_to(component)
