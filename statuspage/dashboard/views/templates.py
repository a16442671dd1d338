"""Incident templates: admins write them, responders declare incidents from them."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from incidents import selectors, services
from incidents.models import IncidentTemplate
from incidents.services import Actor, ServiceError
from statuspage.access.models import Role
from statuspage.dashboard.forms.common import add_service_error
from statuspage.dashboard.forms.templates import IncidentTemplateForm
from statuspage.dashboard.permissions import operator_required


@require_GET
@operator_required(Role.VIEWER)
def template_list(request):
    context = {"templates": selectors.incident_templates(request.dashboard_page)}
    return render(request, "dashboard/templates/list.html", context)


@require_http_methods(["GET", "POST"])
@operator_required(Role.ADMIN)
def template_edit(request, pk: int | None = None):
    page = request.dashboard_page
    template = get_object_or_404(IncidentTemplate, pk=pk, page=page) if pk is not None else None
    initial = None
    if template is not None:
        initial = {f: getattr(template, f) for f in ("name", "title", "body", "status")}
        initial |= {
            "component_status": template.component_status,
            "components": list(template.components.all()),
        }
    form = IncidentTemplateForm(request.POST or None, instance=template, initial=initial, page=page)
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        try:
            services.incident_template_save(
                actor=Actor.for_user(request.user, via="dashboard"),
                template=template,
                page=page,
                **fields,
            )
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, "Template saved.")
            return redirect("dashboard-template-list")
    context = {"form": form, "template": template}
    return render(
        request, "dashboard/templates/form.html", context, status=400 if form.errors else 200
    )


@require_POST
@operator_required(Role.ADMIN)
def template_delete(request, pk: int):
    template = get_object_or_404(IncidentTemplate, pk=pk, page=request.dashboard_page)
    services.incident_template_delete(
        actor=Actor.for_user(request.user, via="dashboard"), template=template
    )
    messages.success(request, f"Template “{template.name}” deleted.")
    return redirect("dashboard-template-list")
