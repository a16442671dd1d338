"""The translate form of an incident's or a maintenance window's update: one language's text of
the update's message and of its owner's name, written through incidents.services.translations_set
(which says what it accepts). Saving a translation notifies nobody."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from incidents import services
from incidents.languages import LANGUAGES
from incidents.models import Incident, IncidentUpdate, Maintenance, MaintenanceUpdate
from incidents.services import ServiceError
from statuspage.access.models import Role
from statuspage.dashboard.forms.incidents import TranslationForm
from statuspage.dashboard.permissions import operator_required
from statuspage.dashboard.views.common import actor_for, form_status


@require_http_methods(["GET", "POST"])
@operator_required(Role.RESPONDER)
def incident_update_translate(request, public_id: str) -> HttpResponse:
    """Add or replace one language's translation of an update (and of its incident's name)."""
    update = get_object_or_404(
        IncidentUpdate.objects.select_related("incident__page"),
        public_id=public_id,
        incident__page=request.dashboard_page,
    )
    return _translate_view(request, update, update.incident, "dashboard-incident", "Incident")


@require_http_methods(["GET", "POST"])
@operator_required(Role.RESPONDER)
def maintenance_update_translate(request, public_id: str) -> HttpResponse:
    """Add or replace one language's translation of a window's update (and of its name)."""
    update = get_object_or_404(
        MaintenanceUpdate.objects.select_related("maintenance__page"),
        public_id=public_id,
        maintenance__page=request.dashboard_page,
    )
    return _translate_view(
        request, update, update.maintenance, "dashboard-maintenance", "Maintenance"
    )


def _translate_view(
    request,
    update: IncidentUpdate | MaintenanceUpdate,
    owner: Incident | Maintenance,
    back: str,
    kind: str,
) -> HttpResponse:
    codes = services.translation_languages(owner.page)
    languages = [(code, name) for code, name in LANGUAGES if code in codes]
    form = TranslationForm(request.POST or None, languages=languages, name_label=f"{kind} name")
    if request.method == "POST" and form.is_valid():
        try:
            _save(update, owner, form.cleaned_data, actor_for(request))
        except ServiceError as exc:
            form.add_error(_field(exc), exc.message)
        else:
            messages.success(request, "Translation saved (no notification is sent for it).")
            return redirect(back, public_id=owner.public_id)
    context = {
        "form": form,
        "update": update,
        "owner": owner,
        "kind": kind,
        "back": back,
        "languages": dict(LANGUAGES),
    }
    return render(request, "dashboard/update_translate.html", context, status=form_status(form))


def _save(update, owner, data: dict, actor) -> None:
    # The name and the message together or not at all.
    code = data["language"]
    with transaction.atomic():
        if data["name"].strip():
            services.translations_set(
                obj=owner, translations={code: {"name": data["name"]}}, actor=actor
            )
        if data["body"].strip():
            services.translations_set(
                obj=update, translations={code: {"body": data["body"]}}, actor=actor
            )


def _field(error: ServiceError) -> str:
    last = (error.field or "").rsplit(".", 1)[-1]
    return last if last in ("name", "body") else "language"
