"""The audit log: every change by anyone, filterable."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import render
from django.views.decorators.http import require_GET

from incidents import selectors
from statuspage.access.models import Role
from statuspage.dashboard.forms.audit import AuditFilterForm
from statuspage.dashboard.permissions import operator_required
from statuspage.dashboard.presenters import audit_rows

PER_PAGE = 50


@require_GET
@operator_required(Role.VIEWER)
def audit_log(request):
    form = AuditFilterForm(request.GET or None, object_types=selectors.audit_object_types())
    filters = form.filters() if form.is_bound and form.is_valid() else {}
    entries = selectors.audit_entries(
        **filters, page=request.dashboard_page, install_wide=request.install_wide
    )
    page = Paginator(entries, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page_obj": page,
        "audit": audit_rows(page.object_list),
        "query": query.urlencode(),
    }
    return render(request, "dashboard/audit.html", context, status=400 if form.errors else 200)
