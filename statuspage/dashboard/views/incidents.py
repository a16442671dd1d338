"""Incident workflow: declare, post updates, resolve, reopen, correct an update, postmortem."""

from __future__ import annotations

import hashlib

from django import forms as django_forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from incidents import selectors, services
from incidents.enums import IncidentStatus
from incidents.events import EventKind
from incidents.models import Incident, IncidentComponent, IncidentTemplate, IncidentUpdate
from incidents.preview import status_preview
from incidents.services import ServiceError
from incidents.templating import TemplateRenderError
from notifications.preview import postmortem_preview
from statuspage.access.models import Role
from statuspage.dashboard.forms.common import add_service_error
from statuspage.dashboard.forms.incidents import (
    IncidentDeclareForm,
    IncidentReopenForm,
    IncidentResolveForm,
    IncidentUpdateForm,
    PostmortemForm,
    PreviewForm,
    UpdateEditForm,
)
from statuspage.dashboard.permissions import DashboardRequest, operator_required
from statuspage.dashboard.presenters import timeline
from statuspage.dashboard.reach import reach_for
from statuspage.dashboard.views.common import actor_for, form_status, warn_if_queue_down
from statuspage.markdown import render_markdown


@require_GET
@operator_required(Role.VIEWER)
def incident_list(request):
    context = {
        "open": selectors.incidents_unresolved(request.dashboard_page),
        "recent": [
            i
            for i in selectors.incidents_recent(limit=50, page=request.dashboard_page)
            if not i.is_open
        ],
    }
    return render(request, "dashboard/incidents/list.html", context)


@require_http_methods(["GET", "POST"])
@operator_required(Role.RESPONDER)
def incident_new(request):
    components = selectors.component_tree(request.dashboard_page).components
    initial, current = _from_template(request, request.GET.get("template"))
    form = IncidentDeclareForm(
        request.POST or None, components=components, current=current, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            incident = services.incident_create(
                name=data["name"],
                status=data["status"],
                body=data["body"],
                impact_override=data["impact_override"] or None,
                component_statuses=form.component_statuses(),
                notify=data["notify"],
                actor=actor_for(request),
                page=request.dashboard_page,
            )
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"Incident “{incident.name}” declared.")
            warn_if_queue_down(request, notify=data["notify"])
            return redirect("dashboard-incident", public_id=incident.public_id)
    context = {
        "form": form,
        "preview": _status_preview(form),
        "templates": selectors.incident_templates(request.dashboard_page),
        "reach": reach_for(
            EventKind.INCIDENT_CREATED,
            _chosen(form, current),
            all_only=True,
            page=request.dashboard_page.pk,
        ),
    }
    return render(request, "dashboard/incidents/new.html", context, status=form_status(form))


def _chosen(form, current: dict | None) -> list[int]:
    """Components the operator has given a status so far (posted, or from a template)."""
    if form.is_bound:
        return [c.id for c in form.components if form.data.get(f"component_{c.id}")]
    return list(current or {})


def _from_template(request, template_id) -> tuple[dict | None, dict | None]:
    """Initial values and component statuses from an incident template, rendered in the
    sandbox; (None, None) without one. A broken template is reported, not raised."""
    if not template_id or not str(template_id).isdigit():
        return None, None
    template = get_object_or_404(IncidentTemplate, pk=int(template_id), page=request.dashboard_page)
    try:
        rendered = selectors.incident_template_render(template)
    except TemplateRenderError as exc:
        messages.error(request, f"Template “{template.name}”: {exc}")
        return None, None
    initial = {"name": rendered.title[:200], "body": rendered.body, "status": rendered.status}
    return initial, rendered.component_statuses


def _imposed(incident: Incident) -> dict[int, str]:
    return dict(
        IncidentComponent.objects.filter(incident=incident).values_list("component_id", "status")
    )


def _update_form(incident: Incident, data=None) -> IncidentUpdateForm:
    return IncidentUpdateForm(
        data,
        components=selectors.component_tree(incident.page_id).components,
        current=_imposed(incident),
        initial={"status": incident.status, "impact_override": incident.impact_override or ""},
    )


def _reopen_form(incident: Incident, data=None) -> IncidentReopenForm:
    # Its own ids: the postmortem form on the same page has a body and a notify field too.
    return IncidentReopenForm(
        data,
        components=selectors.component_tree(incident.page_id).components,
        current=_imposed(incident),
        initial={"status": IncidentStatus.INVESTIGATING},
        auto_id="reopen_%s",
    )


def _detail(
    request: DashboardRequest, incident: Incident, **forms: django_forms.Form
) -> HttpResponse:
    postmortem_form = forms.get("postmortem_form") or PostmortemForm(
        initial={"body": incident.postmortem_draft}
    )
    context = {
        "incident": incident,
        "updates": timeline(incident.updates.order_by("-display_at", "-id")),
        "update_form": forms.get("update_form") or _update_form(incident),
        "resolve_form": forms.get("resolve_form") or IncidentResolveForm(auto_id="resolve_%s"),
        "postmortem_form": postmortem_form,
        "postmortem_preview": render_markdown(incident.postmortem_draft),
        "reopen_form": forms.get("reopen_form") or _reopen_form(incident),
    }
    if request.can_respond and not incident.is_open:
        context["subscriber_preview"] = _subscriber_preview(request, incident, postmortem_form)
    if request.can_respond and incident.is_open:
        context["preview"] = _status_preview(context["update_form"], incident)
        context["preview_resolve"] = _status_preview(
            context["update_form"], incident, resolving=True
        )
    if request.can_respond:
        # What each form would send, counted with the outbox's own matching rules.
        kind = EventKind.INCIDENT_UPDATED if incident.is_open else EventKind.POSTMORTEM_PUBLISHED
        context["reach"] = reach_for(kind, (), incident)
        if incident.is_open:
            context["reach_resolve"] = reach_for(EventKind.INCIDENT_RESOLVED, (), incident)
        else:
            context["reach_reopen"] = reach_for(EventKind.INCIDENT_UPDATED, (), incident)
    status = 400 if any(f.errors for f in forms.values()) else 200
    return render(request, "dashboard/incidents/detail.html", context, status=status)


@require_GET
@operator_required(Role.VIEWER)
def incident_detail(request, public_id: str):
    return _detail(
        request, get_object_or_404(Incident, public_id=public_id, page=request.dashboard_page)
    )


@require_POST
@operator_required(Role.RESPONDER)
def incident_update(request, public_id: str):
    incident = get_object_or_404(Incident, public_id=public_id, page=request.dashboard_page)
    form = _update_form(incident, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.incident_update_post(
                incident=incident,
                status=data["status"],
                body=data["body"],
                impact_override=data["impact_override"] or None,
                component_statuses=form.component_statuses(),
                notify=data["notify"],
                actor=actor_for(request),
            )
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, "Update posted.")
            warn_if_queue_down(request, notify=data["notify"])
            return redirect("dashboard-incident", public_id=public_id)
    return _detail(request, incident, update_form=form)


@require_POST
@operator_required(Role.RESPONDER)
def incident_resolve(request, public_id: str):
    incident = get_object_or_404(Incident, public_id=public_id, page=request.dashboard_page)
    # Its own ids: the update form on the same page has fields of the same names.
    form = IncidentResolveForm(request.POST, auto_id="resolve_%s")
    if form.is_valid():
        try:
            services.incident_resolve(
                incident=incident,
                body=form.cleaned_data["body"],
                notify=form.cleaned_data["notify"],
                actor=actor_for(request),
            )
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, "Incident resolved; component statuses restored.")
            warn_if_queue_down(request, notify=form.cleaned_data["notify"])
            return redirect("dashboard-incident", public_id=public_id)
    return _detail(request, incident, resolve_form=form)


@require_POST
@operator_required(Role.RESPONDER)
def incident_reopen(request, public_id: str):
    incident = get_object_or_404(Incident, public_id=public_id, page=request.dashboard_page)
    if incident.is_open:  # e.g. a second tab: the page it came from no longer offers it
        messages.error(request, "This incident is open: post an update instead.")
        return redirect("dashboard-incident", public_id=public_id)
    form = _reopen_form(incident, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.incident_reopen(
                incident=incident,
                status=data["status"],
                body=data["body"],
                component_statuses=form.component_statuses(),
                notify=data["notify"],
                actor=actor_for(request),
            )
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, "Incident reopened.")
            warn_if_queue_down(request, notify=data["notify"])
            return redirect("dashboard-incident", public_id=public_id)
    return _detail(request, incident, reopen_form=form)


@require_http_methods(["GET", "POST"])
@operator_required(Role.RESPONDER)
def update_edit(request, public_id: str):
    update = get_object_or_404(
        IncidentUpdate.objects.select_related("incident"),
        public_id=public_id,
        incident__page=request.dashboard_page,
    )
    form = UpdateEditForm(request.POST or None, initial={"body": update.body})
    if request.method == "POST" and form.is_valid():
        try:
            services.incident_update_edit(
                update=update, body=form.cleaned_data["body"], actor=actor_for(request)
            )
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, "Update corrected (no notification is sent for edits).")
            return redirect("dashboard-incident", public_id=update.incident.public_id)
    return render(
        request,
        "dashboard/incidents/update_edit.html",
        {"form": form, "update": update},
        status=form_status(form),
    )


@require_POST
@operator_required(Role.RESPONDER)
def postmortem(request, public_id: str):
    """Save the draft; with `publish` in the form, save and then publish it; with `preview`,
    save nothing and show what publishing this text would send (the form without script)."""
    incident = get_object_or_404(Incident, public_id=public_id, page=request.dashboard_page)
    form = PostmortemForm(request.POST)
    if "preview" in request.POST:
        return _detail(request, incident, postmortem_form=form)
    if form.is_valid():
        try:
            incident = services.postmortem_save_draft(
                incident=incident, body=form.cleaned_data["body"], actor=actor_for(request)
            )
            if "publish" in request.POST:
                services.postmortem_publish(
                    incident=incident, notify=form.cleaned_data["notify"], actor=actor_for(request)
                )
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(
                request, "Postmortem published." if "publish" in request.POST else "Draft saved."
            )
            return redirect("dashboard-incident", public_id=public_id)
    return _detail(request, incident, postmortem_form=form)


# --- what subscribers will receive ---------------------------------------------------------
# The email's HTML needs inline styles, which the dashboard's policy refuses (and a srcdoc or
# blob: frame would inherit that policy): it is served from its own URL, with its own policy,
# into a sandboxed frame. The text it shows is kept in the operator's session between the
# preview request and the frame's request, so a draft need not be saved to be seen.
EMAIL_PREVIEW_CSP = "; ".join(
    [
        "default-src 'none'",
        "style-src 'unsafe-inline'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'self'",
    ]
)


EMPTY_EMAIL_PREVIEW = (
    '<!doctype html><html lang="en"><title>Email preview</title>'
    "<p>Write the postmortem to see the email.</p></html>"
)


def _session_key(incident: Incident) -> str:
    return f"postmortem-preview:{incident.public_id}"


def _subscriber_preview(request, incident: Incident, form: django_forms.Form) -> dict:
    """The panel's context: the messages for the form's text (posted, or the saved draft)."""
    if form.is_bound:
        body = form.cleaned_data.get("body", "") if form.is_valid() else ""
        request.session[_session_key(incident)] = body
    else:
        body = incident.postmortem_draft
        request.session.pop(_session_key(incident), None)
    if not body.strip():
        return {"incident": incident, "messages": None}
    messages_ = postmortem_preview(incident, body)
    version = hashlib.sha256(body.encode()).hexdigest()[:12]
    sms_sent = EventKind.POSTMORTEM_PUBLISHED in settings.NOTIFY_SMS_EVENTS
    return {"incident": incident, "messages": messages_, "version": version, "sms_sent": sms_sent}


@require_POST
@operator_required(Role.RESPONDER)
def postmortem_preview_fragment(request, public_id: str):
    """The "subscribers will receive" panel for the form's current text (dashboard.js)."""
    incident = get_object_or_404(Incident, public_id=public_id, page=request.dashboard_page)
    form = PostmortemForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"error": "The text is too long."}, status=400)
    context = {"subscriber_preview": _subscriber_preview(request, incident, form)}
    return render(request, "dashboard/partials/subscriber_preview.html", context)


@require_GET
@xframe_options_sameorigin
@operator_required(Role.RESPONDER)
def postmortem_preview_email(request, public_id: str):
    """The email's HTML part, as the sender renders it, for the preview's sandboxed frame."""
    incident = get_object_or_404(Incident, public_id=public_id, page=request.dashboard_page)
    body = request.session.get(_session_key(incident), incident.postmortem_draft)
    html = postmortem_preview(incident, body).html if body.strip() else EMPTY_EMAIL_PREVIEW
    response = HttpResponse(html)
    response["Content-Security-Policy"] = EMAIL_PREVIEW_CSP
    return response


def _status_preview(form, incident: Incident | None = None, *, resolving: bool = False):
    """The page after this form: its statuses as far as they are valid so far."""
    if form.is_bound:
        form.is_valid()  # fills cleaned_data with every valid field; errors are the form's
        imposed = {c.id: s for c, s in form.component_statuses().items()}
        override = form.cleaned_data.get("impact_override") or None
    else:
        imposed = {
            c.id: form[f"component_{c.id}"].value()
            for c in form.components
            if form[f"component_{c.id}"].value()
        }
        override = (incident.impact_override if incident else None) or None
    return status_preview(imposed, incident=incident, impact_override=override, resolving=resolving)


@require_GET
@operator_required(Role.VIEWER)
def status_preview_fragment(request):
    """The "public page will read" line for the form's current choices (dashboard.js)."""
    incident = None
    if request.GET.get("incident"):
        incident = get_object_or_404(
            Incident, public_id=request.GET["incident"], page=request.dashboard_page
        )
    resolving = request.GET.get("resolving") == "1"
    form = (
        _update_form(incident, request.GET)
        if incident
        else IncidentDeclareForm(
            request.GET, components=selectors.component_tree(request.dashboard_page).components
        )
    )
    preview = _status_preview(form, incident, resolving=resolving)
    return render(request, "dashboard/partials/banner_preview.html", {"preview": preview})


@require_POST
@operator_required(Role.VIEWER)
def preview(request):
    """Live preview of a Markdown body: sanitised HTML, fetched by dashboard.js."""
    form = PreviewForm(request.POST)
    if not form.is_valid():
        return JsonResponse({"error": "The text is too long."}, status=400)
    html = render_markdown(form.cleaned_data["body"])
    return HttpResponse(html, content_type="text/html; charset=utf-8")
