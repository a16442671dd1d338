"""Components and groups (admin): create, edit, reorder."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from incidents import selectors, services
from incidents.models import Component, ComponentGroup
from incidents.services import ServiceError
from statuspage.access.models import Role
from statuspage.dashboard.forms.common import add_service_error
from statuspage.dashboard.forms.components import ComponentForm, GroupForm
from statuspage.dashboard.permissions import operator_required
from statuspage.dashboard.views.common import actor_for


def _form_page(request, form, title: str):
    # 400 when a submitted form was refused, so clients and tests can tell.
    context = {"form": form, "title": title}
    status = 400 if form.errors else 200
    return render(request, "dashboard/components/form.html", context, status=status)


@require_GET
@operator_required(Role.VIEWER)
def component_list(request):
    tree = selectors.component_tree(request.dashboard_page)
    return render(request, "dashboard/components/list.html", {"tree": tree})


def _save(request, form, create, update, obj=None, noun="Component"):
    """Validate, then create or update through a service; None on success, else the form."""
    if request.method != "POST" or not form.is_valid():
        return form
    try:
        if obj is None:
            create(actor=actor_for(request), page=request.dashboard_page, **form.cleaned_data)
        else:
            update(obj, actor=actor_for(request), **form.cleaned_data)
    except ServiceError as exc:
        add_service_error(form, exc)
        return form
    messages.success(request, f"{noun} saved.")
    return None


@require_http_methods(["GET", "POST"])
@operator_required(Role.ADMIN)
def component_new(request):
    form = ComponentForm(request.POST or None, page=request.dashboard_page)
    if _save(request, form, services.component_create, None) is None:
        return redirect("dashboard-component-list")
    return _form_page(request, form, "New component")


@require_http_methods(["GET", "POST"])
@operator_required(Role.ADMIN)
def component_edit(request, pk: int):
    component = get_object_or_404(Component, pk=pk, page=request.dashboard_page)
    initial = {f: getattr(component, f) for f in ComponentForm.base_fields}
    form = ComponentForm(request.POST or None, initial=initial, page=request.dashboard_page)

    def update(obj, **fields):
        return services.component_update(component=obj, **fields)

    if _save(request, form, None, update, obj=component) is None:
        return redirect("dashboard-component-list")
    return _form_page(request, form, f"Edit {component.name}")


@require_http_methods(["GET", "POST"])
@operator_required(Role.ADMIN)
def group_new(request):
    form = GroupForm(request.POST or None)
    if _save(request, form, services.component_group_create, None, noun="Group") is None:
        return redirect("dashboard-component-list")
    return _form_page(request, form, "New group")


@require_http_methods(["GET", "POST"])
@operator_required(Role.ADMIN)
def group_edit(request, pk: int):
    group = get_object_or_404(ComponentGroup, pk=pk, page=request.dashboard_page)
    initial = {f: getattr(group, f) for f in GroupForm.base_fields}
    form = GroupForm(request.POST or None, initial=initial)

    def update(obj, **fields):
        return services.component_group_update(group=obj, **fields)

    if _save(request, form, None, update, obj=group, noun="Group") is None:
        return redirect("dashboard-component-list")
    return _form_page(request, form, f"Edit {group.name}")


@require_POST
@operator_required(Role.ADMIN)
def move(request, kind: str, pk: int, direction: str):
    if kind not in ("component", "group") or direction not in ("up", "down"):
        raise Http404("Nothing to move.")
    entry: Component | ComponentGroup
    if kind == "component":
        entry = get_object_or_404(Component, pk=pk, page=request.dashboard_page)
    else:
        entry = get_object_or_404(ComponentGroup, pk=pk, page=request.dashboard_page)
    try:
        services.page_entry_move(entry=entry, direction=direction, actor=actor_for(request))
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("dashboard-component-list")
