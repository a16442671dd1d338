"""Management API keys: every operator sees the list (names and prefixes, never a key);
admins create (the plain key is shown once) and revoke."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from incidents.services import ServiceError
from statuspage.access import selectors
from statuspage.access.models import ApiKey, Role, Scope
from statuspage.access.services import api_key_create, api_key_revoke
from statuspage.dashboard.forms.common import add_service_error, field_of
from statuspage.dashboard.permissions import operator_required
from statuspage.dashboard.views.common import actor_for

_SESSION_KEY = "dashboard-new-api-key"


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100)
    scopes = forms.MultipleChoiceField(
        choices=Scope.choices, widget=forms.CheckboxSelectMultiple, initial=[Scope.READ]
    )
    owner = forms.ModelChoiceField(
        queryset=selectors.operators().none(),
        help_text="The key can never do more than its owner's role allows.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        owner = field_of(self, "owner", forms.ModelChoiceField)
        owner.queryset = selectors.operators()
        owner.initial = user.pk


@require_http_methods(["GET", "POST"])
@operator_required(Role.VIEWER, write=Role.ADMIN, install=True)
def apikey_list(request):
    form = ApiKeyForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            key, raw = api_key_create(actor=actor_for(request), **form.cleaned_data)
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            request.session[_SESSION_KEY] = {"id": key.pk, "raw": raw}
            return redirect("dashboard-apikey-created")
    keys = selectors.api_keys()
    status = 400 if form.errors else 200
    return render(
        request, "dashboard/apikeys/list.html", {"form": form, "keys": keys}, status=status
    )


@require_GET
@operator_required(Role.ADMIN, install=True)
def apikey_created(request):
    """Shows the new key once: it is taken out of the session as it is shown."""
    shown = request.session.pop(_SESSION_KEY, None)
    key = ApiKey.objects.filter(pk=shown["id"]).first() if shown else None
    if key is None:
        messages.info(request, "A key is shown only once, right after it is created.")
        return redirect("dashboard-apikey-list")
    response = render(request, "dashboard/apikeys/created.html", {"key": key, "raw": shown["raw"]})
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@operator_required(Role.ADMIN, install=True)
def apikey_revoke(request, pk: int):
    key = get_object_or_404(ApiKey, pk=pk)
    api_key_revoke(actor=actor_for(request), key=key)
    messages.success(request, f"Key “{key.name}” revoked; it no longer works.")
    return redirect("dashboard-apikey-list")
