"""Audiences of an audience-specific page: admins say who reads which components
(docs/pages.md, "Audiences")."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from incidents import services
from incidents.models import Audience
from incidents.services import Actor, ServiceError
from statuspage.access.models import Role
from statuspage.dashboard.forms.audiences import AudienceForm
from statuspage.dashboard.forms.common import add_service_error
from statuspage.dashboard.permissions import operator_required


@require_GET
@operator_required(Role.VIEWER)
def audience_list(request):
    page = request.dashboard_page
    audiences = Audience.objects.filter(page=page).prefetch_related("components")
    context = {"page": page, "audiences": audiences}
    return render(request, "dashboard/audiences/list.html", context)


@require_http_methods(["GET", "POST"])
@operator_required(Role.ADMIN)
def audience_edit(request, pk: int | None = None):
    page = request.dashboard_page
    audience = get_object_or_404(Audience, pk=pk, page=page) if pk is not None else None
    initial = None
    if audience is not None:
        initial = {
            "name": audience.name,
            "slug": audience.slug,
            "position": audience.position,
            "components": list(audience.components.all()),
            "emails": "\n".join(audience.emails),
            "domains": "\n".join(audience.domains),
            "claim_name": audience.claim_name,
            "claim_value": audience.claim_value,
            "members": "\n".join(audience.members),
        }
    form = AudienceForm(request.POST or None, initial=initial, page_id=page.pk)
    if request.method == "POST" and form.is_valid():
        fields = dict(form.cleaned_data)
        components = fields.pop("components")
        try:
            services.audience_save(
                actor=Actor.for_user(request.user, via="dashboard"),
                audience=audience,
                page=page,
                components=components,
                **fields,
            )
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, "Audience saved.")
            return redirect("dashboard-audience-list")
    context = {"form": form, "audience": audience, "page": page}
    return render(
        request, "dashboard/audiences/form.html", context, status=400 if form.errors else 200
    )


@require_POST
@operator_required(Role.ADMIN)
def audience_delete(request, pk: int):
    audience = get_object_or_404(Audience, pk=pk, page=request.dashboard_page)
    services.audience_delete(actor=Actor.for_user(request.user, via="dashboard"), audience=audience)
    messages.success(request, f"Audience “{audience.name}” deleted.")
    return redirect("dashboard-audience-list")
