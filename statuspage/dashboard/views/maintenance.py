"""Maintenance: schedule, reschedule, start, post updates, complete early, cancel."""

from __future__ import annotations

from django import forms as django_forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from incidents import selectors, services
from incidents.enums import MaintenanceStatus
from incidents.events import EventKind
from incidents.models import Component, Maintenance
from incidents.services import ServiceError
from statuspage.access.models import Role
from statuspage.dashboard.forms.common import add_service_error
from statuspage.dashboard.forms.maintenance import (
    MaintenanceNoteForm,
    MaintenanceRescheduleForm,
    MaintenanceScheduleForm,
    MaintenanceUpdateForm,
)
from statuspage.dashboard.permissions import DashboardRequest, operator_required
from statuspage.dashboard.presenters import timeline
from statuspage.dashboard.reach import reach_for
from statuspage.dashboard.views.common import actor_for, form_status


@require_GET
@operator_required(Role.VIEWER)
def maintenance_list(request):
    context = {
        "active": selectors.maintenance_active(request.dashboard_page),
        "upcoming": selectors.maintenance_upcoming(request.dashboard_page),
        "recent": selectors.maintenance_recent(limit=30, page=request.dashboard_page),
    }
    return render(request, "dashboard/maintenance/list.html", context)


@require_http_methods(["GET", "POST"])
@operator_required(Role.RESPONDER)
def maintenance_new(request):
    page = request.dashboard_page
    form = MaintenanceScheduleForm(
        request.POST or None, components_queryset=Component.objects.filter(page=page)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            maintenance = services.maintenance_schedule(
                name=data["name"],
                scheduled_for=data["scheduled_for"],
                scheduled_until=data["scheduled_until"],
                components=data["components"],
                body=data["body"],
                auto_start=data["auto_start"],
                auto_complete=data["auto_complete"],
                remind_before_minutes=data["remind_before_minutes"],
                notify=data["notify"],
                actor=actor_for(request),
                page=page,
            )
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"Maintenance “{maintenance.name}” scheduled.")
            return redirect("dashboard-maintenance", public_id=maintenance.public_id)
    chosen = request.POST.getlist("components") if form.is_bound else []
    chosen_ids = Component.objects.filter(
        id__in=[int(v) for v in chosen if str(v).isdigit()], page=page
    ).values_list("id", flat=True)
    reach = reach_for(
        EventKind.MAINTENANCE_SCHEDULED, list(chosen_ids), all_only=True, page=page.pk
    )
    context = {"form": form, "reach": reach}
    return render(request, "dashboard/maintenance/new.html", context, status=form_status(form))


def _detail(
    request: DashboardRequest,
    maintenance: Maintenance,
    forms: dict[str, django_forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    forms = forms or {}
    context = {
        "maintenance": maintenance,
        "updates": timeline(maintenance.updates.order_by("-display_at", "-id")),
        "reschedule_form": forms.get("reschedule")
        or MaintenanceRescheduleForm(
            auto_id="reschedule_%s",
            initial={
                "scheduled_for": maintenance.scheduled_for,
                "scheduled_until": maintenance.scheduled_until,
            },
        ),
        "update_form": forms.get("update") or MaintenanceUpdateForm(auto_id="update_%s"),
        "note_form": forms.get("note") or MaintenanceNoteForm(auto_id="note_%s"),
    }
    if request.can_respond and maintenance.status != MaintenanceStatus.COMPLETED:
        context["reaches"] = _reach(maintenance)
    return render(request, "dashboard/maintenance/detail.html", context, status=status)


def _reach(maintenance) -> dict:
    """What each button on the detail page would send, by the event kind it publishes (SMS goes
    out for some kinds only, so start and cancel can reach different numbers)."""
    ids = list(maintenance.components.values_list("id", flat=True))
    if maintenance.status == MaintenanceStatus.SCHEDULED:
        kinds = {
            "reschedule": EventKind.MAINTENANCE_RESCHEDULED,
            "start": EventKind.MAINTENANCE_STARTED,
        }
    else:
        kinds = {
            "update": EventKind.MAINTENANCE_UPDATED,
            "complete": EventKind.MAINTENANCE_COMPLETED,
        }
    kinds["cancel"] = EventKind.MAINTENANCE_CANCELLED
    page = maintenance.page_id
    return {action: reach_for(kind, ids, page=page) for action, kind in kinds.items()}


@require_GET
@operator_required(Role.VIEWER)
def maintenance_detail(request, public_id: str):
    return _detail(
        request, get_object_or_404(Maintenance, public_id=public_id, page=request.dashboard_page)
    )


# action -> (form class, form slot on the detail page, service call, success message)
ACTIONS = {
    "reschedule": (
        MaintenanceRescheduleForm,
        "reschedule",
        lambda m, d, a: services.maintenance_reschedule(
            maintenance=m,
            scheduled_for=d["scheduled_for"],
            scheduled_until=d["scheduled_until"],
            body=d["body"],
            notify=d["notify"],
            actor=a,
        ),
        "Rescheduled.",
    ),
    "update": (
        MaintenanceUpdateForm,
        "update",
        lambda m, d, a: services.maintenance_update_post(
            maintenance=m, status=d["status"], body=d["body"], notify=d["notify"], actor=a
        ),
        "Update posted.",
    ),
    "start": (
        MaintenanceNoteForm,
        "note",
        lambda m, d, a: services.maintenance_start(
            maintenance=m, body=d["body"], notify=d["notify"], actor=a
        ),
        "Maintenance started.",
    ),
    "complete": (
        MaintenanceNoteForm,
        "note",
        lambda m, d, a: services.maintenance_complete(
            maintenance=m, body=d["body"], notify=d["notify"], actor=a
        ),
        "Maintenance completed; component statuses restored.",
    ),
    "cancel": (
        MaintenanceNoteForm,
        "note",
        lambda m, d, a: services.maintenance_cancel(
            maintenance=m, body=d["body"], notify=d["notify"], actor=a
        ),
        "Maintenance cancelled.",
    ),
}


@require_POST
@operator_required(Role.RESPONDER)
def maintenance_action(request, public_id: str, action: str):
    if action not in ACTIONS:
        raise Http404("No such maintenance action.")
    maintenance = get_object_or_404(Maintenance, public_id=public_id, page=request.dashboard_page)
    form_class, slot, call, done = ACTIONS[action]
    # Several forms share one page: each keeps its own element ids (the slot name).
    form = form_class(request.POST, auto_id=f"{slot}_%s")
    if form.is_valid():
        try:
            call(maintenance, form.cleaned_data, actor_for(request))
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, done)
            return redirect("dashboard-maintenance", public_id=public_id)
    return _detail(request, maintenance, {slot: form}, status=400)
