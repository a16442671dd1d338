"""Which page the operator works on (the header's switcher), and new pages (owners)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseBadRequest, HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from incidents import services
from incidents.services import ServiceError
from statuspage.access.models import Role
from statuspage.dashboard.forms.common import add_service_error
from statuspage.dashboard.forms.pages import PageNewForm
from statuspage.dashboard.permissions import PAGE_SESSION_KEY, DashboardRequest, operator_required
from statuspage.dashboard.views.common import actor_for, form_status


@require_POST
@operator_required(Role.VIEWER)
def page_switch(request: DashboardRequest) -> HttpResponseBase:
    """Work on another page: only one the operator holds a role on (others are 404). Back to
    the overview, since the page they came from showed the previous page's objects."""
    wanted = request.POST.get("page", "")
    if not wanted:
        return HttpResponseBadRequest("Choose a page.")
    page = next((p for p in request.dashboard_pages if p.public_id == wanted), None)
    if page is None:
        raise Http404("No such page.")
    request.session[PAGE_SESSION_KEY] = page.pk
    messages.success(request, f"You are working on the page “{page.name}”.")
    return redirect("dashboard-overview")


@require_http_methods(["GET", "POST"])
@operator_required(Role.ADMIN, install=True)
def page_new(request: DashboardRequest) -> HttpResponse | HttpResponseBase:
    """Owners create pages; the new page becomes the one they work on."""
    if not request.is_owner:
        return render(request, "dashboard/pages/owners_only.html", status=403)
    form = PageNewForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            page = services.page_create(actor=actor_for(request), **form.cleaned_data)
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            request.session[PAGE_SESSION_KEY] = page.pk
            messages.success(request, f"Page “{page.name}” created; you are working on it.")
            return redirect("dashboard-page-settings")
    return render(request, "dashboard/pages/new.html", {"form": form}, status=form_status(form))
