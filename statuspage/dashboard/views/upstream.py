"""Upstream providers: the list, adding one, its settings and component mapping, removing it.
Every operator may read them; admins change them."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from incidents.services import ServiceError
from statuspage.access.models import Role
from statuspage.dashboard.forms.common import add_service_error
from statuspage.dashboard.forms.upstream import (
    ProviderAddForm,
    ProviderMappingForm,
    ProviderSettingsForm,
)
from statuspage.dashboard.permissions import operator_required
from statuspage.dashboard.views.common import actor_for, form_status
from statuspage.upstream import selectors, services
from statuspage.upstream.models import Provider


@require_http_methods(["GET", "POST"])
@operator_required(Role.VIEWER, write=Role.ADMIN)
def provider_list(request):
    form = ProviderAddForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            provider = services.provider_add(
                url=data["url"],
                name=data["name"],
                notify_subscribers=data["notify_subscribers"],
                actor=actor_for(request),
                page=request.dashboard_page,
            )
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, f"Following {provider.name}: choose its components.")
            return redirect("dashboard-upstream-provider", pk=provider.pk)
    providers = selectors.providers().filter(page=request.dashboard_page)
    context = {"providers": providers, "form": form}
    return render(request, "dashboard/upstream/list.html", context, status=form_status(form))


@require_http_methods(["GET", "POST"])
@operator_required(Role.VIEWER, write=Role.ADMIN)
def provider_detail(request, pk: int):
    provider = get_object_or_404(Provider, pk=pk, page=request.dashboard_page)
    links = selectors.provider_links(provider)
    settings_form = ProviderSettingsForm(
        request.POST if "settings" in request.POST else None,
        initial={f: getattr(provider, f) for f in ProviderSettingsForm.base_fields},
    )
    mapping_form = ProviderMappingForm(
        request.POST if "mapping" in request.POST else None,
        upstream=provider.snapshot.get("components", []),
        initial_links={uid: link.component_id for uid, link in links.items()},
        page=provider.page_id,
    )
    if request.method == "POST" and _save(request, provider, settings_form, mapping_form):
        return redirect("dashboard-upstream-provider", pk=provider.pk)
    context = {
        "provider": provider,
        "links": links,
        "settings_form": settings_form,
        "mapping_form": mapping_form,
    }
    status = max(form_status(settings_form), form_status(mapping_form))
    return render(request, "dashboard/upstream/detail.html", context, status=status)


def _save(request, provider, settings_form, mapping_form) -> bool:
    form = settings_form if "settings" in request.POST else mapping_form
    if not form.is_valid():
        return False
    try:
        if form is settings_form:
            services.provider_update(
                provider=provider, actor=actor_for(request), **form.cleaned_data
            )
        else:
            services.provider_map(
                provider=provider, mapping=form.mapping(), actor=actor_for(request)
            )
    except ServiceError as exc:
        add_service_error(form, exc)
        return False
    messages.success(request, "Saved.")
    return True


@require_POST
@operator_required(Role.ADMIN)
def provider_delete(request, pk: int):
    provider = get_object_or_404(Provider, pk=pk, page=request.dashboard_page)
    services.provider_delete(provider=provider, actor=actor_for(request))
    messages.success(request, f"No longer following {provider.name}.")
    return redirect("dashboard-upstream")


@require_POST
@operator_required(Role.ADMIN)
def provider_poll_now(request, pk: int):
    provider = get_object_or_404(Provider, pk=pk, page=request.dashboard_page)
    outcome = services.provider_poll_now(provider=provider)
    if outcome == "failed":
        provider.refresh_from_db()
        messages.error(request, f"Poll failed: {provider.last_error}")
    else:
        messages.success(request, "Polled.")
    return redirect("dashboard-upstream-provider", pk=provider.pk)
