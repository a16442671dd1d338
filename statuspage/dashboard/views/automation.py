"""Automation from monitoring: alert routes, the receiver to configure, recent alerts. Every
operator may read them; admins edit the routes."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from incidents.services import ServiceError
from statuspage.access.models import Role
from statuspage.automation import selectors, services
from statuspage.automation.models import AlertRoute
from statuspage.automation.rules import format_matchers
from statuspage.dashboard.forms.automation import AlertRouteForm
from statuspage.dashboard.forms.common import add_service_error
from statuspage.dashboard.permissions import operator_required
from statuspage.dashboard.views.common import actor_for, form_status

RECENT_ALERTS = 50


@require_GET
@operator_required(Role.VIEWER)
def automation_overview(request):
    context = {
        "routes": selectors.alert_routes(request.dashboard_page),
        "states": selectors.alert_states_recent(limit=RECENT_ALERTS, page=request.dashboard_page),
        "receiver_url": request.build_absolute_uri(reverse("api-v1-integrations-alertmanager")),
        "hook_url": request.build_absolute_uri(reverse("api-v1-integrations-component-status")),
        "format_matchers": format_matchers,
    }
    return render(request, "dashboard/automation/overview.html", context)


@require_http_methods(["GET", "POST"])
@operator_required(Role.ADMIN)
def route_edit(request, pk: int | None = None):
    page = request.dashboard_page
    route = get_object_or_404(AlertRoute, pk=pk, page=page) if pk is not None else None
    initial = None
    if route is not None:
        initial = {f.name: getattr(route, f.name) for f in AlertRoute._meta.concrete_fields}
        initial["matchers"] = format_matchers(route.matchers)
        initial["components"] = list(route.components.all())
    form = AlertRouteForm(request.POST or None, initial=initial, page=page)
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        components = fields.pop("components")
        try:
            services.alert_route_save(
                actor=actor_for(request), route=route, components=components, **fields
            )
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, "Route saved.")
            return redirect("dashboard-automation")
    context = {"form": form, "route": route}
    return render(request, "dashboard/automation/form.html", context, status=form_status(form))


@require_POST
@operator_required(Role.ADMIN)
def route_delete(request, pk: int):
    route = get_object_or_404(AlertRoute, pk=pk, page=request.dashboard_page)
    services.alert_route_delete(actor=actor_for(request), route=route)
    messages.success(request, f"Route “{route.name}” deleted.")
    return redirect("dashboard-automation")


@require_POST
@operator_required(Role.ADMIN)
def route_move(request, pk: int, direction: str):
    route = get_object_or_404(AlertRoute, pk=pk, page=request.dashboard_page)
    try:
        services.alert_route_move(actor=actor_for(request), route=route, direction=direction)
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("dashboard-automation")
