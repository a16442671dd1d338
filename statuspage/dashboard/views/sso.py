"""A page's single sign-on provider for its readers (admins): statuspage.sso."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from incidents.services import ServiceError
from statuspage.access.models import Role
from statuspage.dashboard.forms.sso import OidcProviderForm
from statuspage.dashboard.permissions import DashboardRequest, operator_required
from statuspage.dashboard.views.common import actor_for, form_status
from statuspage.sso import selectors, services


@require_http_methods(["GET", "POST"])
@operator_required(Role.ADMIN)
def sso_settings(request: DashboardRequest) -> HttpResponse:
    page = request.dashboard_page
    row = selectors.provider_settings(page.pk)
    if request.method == "POST" and request.POST.get("action") == "remove":
        services.provider_delete(page=page, actor=actor_for(request))
        messages.success(request, "Single sign-on removed.")
        return redirect("dashboard-sso-settings")
    form = OidcProviderForm(
        request.POST or None,
        instance=row,
        has_secret=bool(row and row.client_secret),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.provider_save(
                page=page,
                actor=actor_for(request),
                values={name: form.cleaned_data[name] for name in form.Meta.fields},
                client_secret=form.cleaned_data["client_secret"],
            )
        except (ValidationError, ServiceError) as exc:
            form.add_error(None, str(exc) if isinstance(exc, ServiceError) else exc)
        else:
            messages.success(request, "Single sign-on saved.")
            return redirect("dashboard-sso-settings")
    base = page.public_url
    context = {
        "form": form,
        "page": page,
        "row": row,
        "callback_urls": [
            f"{base}/readers/oidc/callback",
            f"{base}/p/{page.slug}/readers/oidc/callback",
        ],
    }
    return render(request, "dashboard/admin/sso.html", context, status=form_status(form))
