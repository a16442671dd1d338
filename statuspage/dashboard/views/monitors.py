"""Built-in monitors: every operator sees them, with their last results; admins create, edit
and delete them."""

from __future__ import annotations

from itertools import groupby

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from incidents.services import ServiceError
from statuspage.access.models import Role
from statuspage.dashboard.forms.common import add_service_error
from statuspage.dashboard.forms.monitors import MonitorForm
from statuspage.dashboard.permissions import operator_required
from statuspage.dashboard.views.common import actor_for, form_status
from statuspage.monitors import selectors, services
from statuspage.monitors.models import Monitor
from statuspage.monitors.validation import current_values

RECENT_RESULTS = 20


@require_GET
@operator_required(Role.VIEWER)
def monitor_list(request):
    monitors = list(selectors.monitors().filter(component__page=request.dashboard_page))
    by_component = [
        (component, list(items))
        for component, items in groupby(monitors, key=lambda m: m.component)
    ]
    context = {"by_component": by_component, "last": selectors.last_results(monitors)}
    return render(request, "dashboard/monitors/list.html", context)


@require_GET
@operator_required(Role.VIEWER)
def monitor_detail(request, pk: int):
    monitor = get_object_or_404(selectors.monitors(), pk=pk, component__page=request.dashboard_page)
    context = {
        "monitor": monitor,
        "results": selectors.results_recent(monitor, limit=RECENT_RESULTS),
        "heartbeat_url": _heartbeat_url(request, monitor),
    }
    return render(request, "dashboard/monitors/detail.html", context)


def _heartbeat_url(request, monitor: Monitor) -> str | None:
    if not monitor.heartbeat_token:
        return None
    return request.build_absolute_uri(reverse("monitors-heartbeat", args=[monitor.heartbeat_token]))


def _initial(monitor: Monitor) -> dict:
    values = current_values(monitor)
    values["headers"] = "\n".join(f"{k}: {v}" for k, v in monitor.headers.items())
    values["expected_statuses"] = ", ".join(str(s) for s in monitor.expected_statuses)
    values["regions"] = ", ".join(monitor.regions)
    values["incident_template_id"] = str(monitor.incident_template_id or "")
    return values


@require_http_methods(["GET", "POST"])
@operator_required(Role.ADMIN)
def monitor_edit(request, pk: int | None = None):
    page = request.dashboard_page
    monitor = get_object_or_404(Monitor, pk=pk, component__page=page) if pk is not None else None
    if monitor is not None:
        initial = _initial(monitor)
    else:
        initial = {"component_id": request.GET.get("component", "")}
    form = MonitorForm(request.POST or None, initial=initial, page=page)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.monitor_save(
                actor=actor_for(request), monitor=monitor, data=form.service_data()
            )
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"Monitor “{saved.name}” saved.")
            return redirect("dashboard-monitor", pk=saved.pk)
    context = {"form": form, "monitor": monitor}
    return render(request, "dashboard/monitors/form.html", context, status=form_status(form))


@require_POST
@operator_required(Role.ADMIN)
def monitor_delete(request, pk: int):
    monitor = get_object_or_404(Monitor, pk=pk, component__page=request.dashboard_page)
    services.monitor_delete(actor=actor_for(request), monitor=monitor)
    messages.success(request, f"Monitor “{monitor.name}” deleted.")
    return redirect("dashboard-monitor-list")


@require_POST
@operator_required(Role.ADMIN)
def monitor_token_rotate(request, pk: int):
    monitor = get_object_or_404(
        Monitor, pk=pk, kind="heartbeat", component__page=request.dashboard_page
    )
    services.monitor_token_rotate(actor=actor_for(request), monitor=monitor)
    messages.success(request, "New heartbeat URL: the old one no longer works.")
    return redirect("dashboard-monitor", pk=monitor.pk)
