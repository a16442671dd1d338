"""Page settings and operators (users and roles): every operator may read them, only admins
change them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from incidents import selectors, services
from incidents.services import ServiceError
from statuspage.access import services as access_services
from statuspage.access.models import Role
from statuspage.access.selectors import role_of
from statuspage.dashboard.forms.admin import OperatorInviteForm, OperatorRoleForm, PageSettingsForm
from statuspage.dashboard.forms.common import add_service_error
from statuspage.dashboard.permissions import DashboardRequest, operator_required
from statuspage.dashboard.views.auth import PasswordResetView
from statuspage.dashboard.views.common import actor_for


@require_http_methods(["GET", "POST"])
@operator_required(Role.VIEWER, write=Role.ADMIN)
def page_settings(request: DashboardRequest) -> HttpResponse:
    page = selectors.page_get()
    initial = {
        "name": page.name,
        "url": page.url,
        "time_zone": page.time_zone,
        "partial_outage_weight": page.partial_outage_weight,
        "degraded_weight": page.degraded_weight,
        "uptime_thresholds": ", ".join(str(v) for v in page.uptime_thresholds_minutes or []),
        "notify_component_changes": page.notify_component_changes,
    }
    form = PageSettingsForm(request.POST or None, initial=initial)
    if not request.can_admin:
        for field in form.fields.values():
            field.disabled = True
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["uptime_thresholds_minutes"] = data.pop("uptime_thresholds")
        try:
            services.page_update(actor=actor_for(request), **data)
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, "Page settings saved.")
            return redirect("dashboard-page-settings")
    status = 400 if form.errors else 200
    return render(request, "dashboard/admin/page_settings.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
@operator_required(Role.VIEWER, write=Role.ADMIN)
def operators(request):
    form = OperatorInviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            access_services.operator_invite(actor=actor_for(request), **form.cleaned_data)
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            _send_password_link(request, form.cleaned_data["email"])
            messages.success(
                request,
                f"{form.cleaned_data['username']} added; a link to set a password was emailed.",
            )
            return redirect("dashboard-operators")
    users = get_user_model().objects.order_by("username").select_related("dashboard_membership")
    with_2fa = set(TOTPDevice.objects.filter(confirmed=True).values_list("user_id", flat=True))
    rows = [
        (
            user,
            role_of(user),
            user.pk in with_2fa,
            OperatorRoleForm(initial={"role": role_of(user)}),
        )
        for user in users
    ]
    status = 400 if form.errors else 200
    context = {"form": form, "rows": rows}
    return render(request, "dashboard/admin/operators.html", context, status=status)


def _send_password_link(request, email: str) -> None:
    reset = PasswordResetForm({"email": email})
    if reset.is_valid():
        reset.save(
            request=request,
            use_https=request.is_secure(),
            email_template_name=PasswordResetView.email_template_name,
            subject_template_name=PasswordResetView.subject_template_name,
        )


@require_POST
@operator_required(Role.ADMIN)
def operator_role(request, pk: int):
    user = get_object_or_404(get_user_model(), pk=pk)
    form = OperatorRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a role.")
        return redirect("dashboard-operators")
    try:
        access_services.operator_set_role(
            user=user, role=form.cleaned_data["role"] or None, actor=actor_for(request)
        )
    except ServiceError as exc:
        messages.error(request, f"{user.get_username()}: {exc.message}")
    else:
        messages.success(request, f"{user.get_username()}'s role changed.")
    return redirect("dashboard-operators")
