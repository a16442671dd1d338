"""Who may read a page, and how its readers sign in (statuspage/readers)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from incidents import services
from incidents.services import ServiceError
from statuspage.access.models import Role
from statuspage.dashboard.forms.common import add_service_error
from statuspage.dashboard.forms.reader_settings import ReaderSettingsForm
from statuspage.dashboard.permissions import DashboardRequest, operator_required
from statuspage.dashboard.views.common import actor_for, form_status
from statuspage.readers import feeds
from statuspage.readers import selectors as reader_selectors
from statuspage.readers import services as reader_services


@require_http_methods(["GET", "POST"])
@operator_required(Role.ADMIN)
def reader_settings(request: DashboardRequest) -> HttpResponse:
    page = request.dashboard_page
    row = reader_selectors.settings_of(page.pk)
    initial = {
        "visibility": page.visibility,
        "magic_link_allowed": row.magic_link_allowed,
        "ip_allowlist": row.ip_allowlist,
    }
    form = ReaderSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        actor = actor_for(request)
        try:
            reader_services.settings_save(
                page=page,
                actor=actor,
                password=data["password"] or None,
                clear_password=data["clear_password"],
                magic_link_allowed=data["magic_link_allowed"],
                ip_allowlist=data["ip_allowlist"],
            )
            if data["visibility"] != page.visibility:
                services.page_update(page, actor=actor, visibility=data["visibility"])
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, "Reader access saved.")
            return redirect("dashboard-reader-settings")
    context = {"form": form, "page": page, "row": row, "secrets": list(feeds.of_page(page.pk))}
    return render(
        request, "dashboard/admin/reader_settings.html", context, status=form_status(form)
    )


@require_POST
@operator_required(Role.ADMIN)
def readers_sign_out(request: DashboardRequest) -> HttpResponse:
    reader_services.sign_out_everyone(page=request.dashboard_page, actor=actor_for(request))
    messages.success(request, "Every reader of this page is signed out.")
    return redirect("dashboard-reader-settings")


@require_POST
@operator_required(Role.ADMIN)
def feed_secret_revoke(request: DashboardRequest, pk: int) -> HttpResponse:
    # Another page's address (or one already revoked) is not this page's to name: 404.
    if not feeds.revoke_by_admin(request.dashboard_page, pk, actor=actor_for(request)):
        raise Http404("No such feed address on this page.")
    messages.success(request, "Feed address revoked.")
    return redirect("dashboard-reader-settings")
