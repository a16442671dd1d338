"""The overview: page status, open incidents, maintenance, component board, queue health."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from incidents import selectors
from incidents.models import Component
from incidents.queue import queue_is_reachable
from incidents.services import Actor, ServiceError, component_status_set
from notifications.selectors import outbox_health
from statuspage.access.models import Role
from statuspage.dashboard.forms.common import INCIDENT_COMPONENT_CHOICES
from statuspage.dashboard.forms.components import StatusForm
from statuspage.dashboard.permissions import operator_required
from statuspage.dashboard.site_check import public_url_problem

RECENT_AUDIT = 15


@require_GET
@operator_required(Role.VIEWER)
def overview(request):
    tree = selectors.component_tree()
    indicator, description = selectors.status_summary(tree.components)
    page = selectors.page_get()
    context = {
        "page": page,
        "public_url_problem": public_url_problem(page),
        "tree": tree,
        "indicator": indicator,
        "description": description,
        "incidents": selectors.incidents_unresolved(),
        "maintenance_active": selectors.maintenance_active(),
        "maintenance_upcoming": selectors.maintenance_upcoming(),
        "status_choices": INCIDENT_COMPONENT_CHOICES,
        "queue_ok": queue_is_reachable(),
        "delivery_health": outbox_health(),
        "audit": selectors.audit_entries()[:RECENT_AUDIT],
    }
    return render(request, "dashboard/overview.html", context)


@require_POST
@operator_required(Role.RESPONDER)
def component_status(request, pk: int):
    """One-click status change from the component board (sets the component's own status)."""
    component = get_object_or_404(Component, pk=pk)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a status.")
        return redirect("dashboard-overview")
    try:
        component = component_status_set(
            component=component,
            status=form.cleaned_data["status"],
            notify=form.cleaned_data["notify"] is not False,
            actor=Actor.for_user(request.user, via="dashboard"),
        )
    except ServiceError as exc:
        messages.error(request, f"{component.name}: {exc.message}")
    else:
        messages.success(request, f"{component.name} is now {component.get_status_display()}.")
    return redirect("dashboard-overview")
