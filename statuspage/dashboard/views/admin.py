"""Page settings and operators (users and roles): every operator may read them, only admins
change them."""

from __future__ import annotations

import base64

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordResetForm
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_otp.plugins.otp_totp.models import TOTPDevice

from incidents import branding, services
from incidents.services import ServiceError
from statuspage.access import services as access_services
from statuspage.access.models import Role
from statuspage.access.selectors import role_of
from statuspage.brand import Brand, brand_assets, brand_css, css_version
from statuspage.dashboard.forms.admin import (
    GENERAL_FIELDS,
    OperatorInviteForm,
    OperatorRoleForm,
    PageSettingsForm,
)
from statuspage.dashboard.forms.common import add_service_error
from statuspage.dashboard.middleware import CONTENT_SECURITY_POLICY
from statuspage.dashboard.permissions import DashboardRequest, operator_required
from statuspage.dashboard.site_check import public_url_problem
from statuspage.dashboard.views.auth import PasswordResetView
from statuspage.dashboard.views.common import actor_for, form_status


@require_http_methods(["GET", "POST"])
@operator_required(Role.VIEWER, write=Role.ADMIN)
def page_settings(request: DashboardRequest) -> HttpResponse:
    page = request.dashboard_page
    form = PageSettingsForm(
        request.POST or None, request.FILES or None, initial=_initial(page), page=page
    )
    if not request.can_admin:
        for field in form.fields.values():
            field.disabled = True
    if request.method == "POST" and form.is_valid():
        try:
            fields, images = _changes(form)
            services.page_update(
                page,
                actor=actor_for(request),
                logo_image=images.get("logo"),
                favicon_image=images.get("favicon"),
                **fields,
            )
        except ServiceError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, "Page settings saved.")
            return redirect("dashboard-page-settings")
    request.session.pop(PREVIEW_CSS_KEY, None)
    context = {
        "form": form,
        "page": page,
        "brand": brand_assets(page),
        "contrast_warnings": form.contrast_warnings(),
        "public_url_problem": public_url_problem(page),
        "max_links": branding.MAX_FOOTER_LINKS,
        # The page's backgrounds, for the script that restates the contrast warnings live.
        "contrast": {"light": branding.BACKGROUND_LIGHT, "dark": branding.BACKGROUND_DARK},
    }
    return render(request, "dashboard/admin/page_settings.html", context, status=form_status(form))


def _initial(page) -> dict[str, object]:
    return {
        "name": page.name,
        "url": page.url,
        "time_zone": page.time_zone,
        "language": page.language,
        "partial_outage_weight": page.partial_outage_weight,
        "degraded_weight": page.degraded_weight,
        "uptime_thresholds": ", ".join(str(v) for v in page.uptime_thresholds_minutes or []),
        "notify_component_changes": page.notify_component_changes,
        "accent_color": page.accent_color,
        "custom_css": page.custom_css,
    }


def _changes(form: PageSettingsForm) -> tuple[dict[str, object], dict[str, bytes]]:
    """The service's arguments from a valid form: fields, and uploaded images' bytes."""
    data = form.cleaned_data
    changes: dict[str, object] = {name: data[name] for name in GENERAL_FIELDS}
    changes["uptime_thresholds_minutes"] = changes.pop("uptime_thresholds")
    changes.update(form.branding_values())
    images = {}
    for name in ("logo", "favicon"):
        if data[name] is not None:
            images[name] = data[name].data
        elif data[f"remove_{name}"]:
            changes[name] = ""
    return changes, images


# The preview's stylesheet, kept in the operator's session (the frame's page links to it).
PREVIEW_CSS_KEY = "dashboard:page-preview-css"
PREVIEW_CSP = CONTENT_SECURITY_POLICY.replace("frame-ancestors 'none'", "frame-ancestors 'self'")


@require_http_methods(["GET", "POST"])
@xframe_options_sameorigin
@operator_required(Role.ADMIN)
def page_settings_preview(request: DashboardRequest, render_index) -> HttpResponse:
    """The public front page with the form's unsaved values, for the settings page's frame.

    Rendered here, outside the public read path: nothing of it reaches the public cache, and the
    dashboard's headers (no-store) apply. `render_index` is the public site's renderer, handed
    over by statuspage/urls.py (the dashboard does not import the public site)."""
    page = request.dashboard_page
    if request.method == "GET":
        notice = "Preview of the saved page."
        response = render_index(request, page, preview_notice=notice)
    else:
        form = PageSettingsForm(request.POST, request.FILES, initial=_initial(page), page=page)
        form.is_valid()
        brand, notice = _preview_values(request, form, page)
        response = render_index(request, page, brand=brand, preview_notice=notice)
    response["Content-Security-Policy"] = PREVIEW_CSP
    return response


def _preview_values(request: DashboardRequest, form: PageSettingsForm, page) -> tuple[Brand, str]:
    """Apply the form's valid values to `page` (never saved) and say which were left out."""
    data = form.cleaned_data
    if "name" in data:
        page.name = data["name"]
    if "time_zone" in data:
        page.time_zone = data["time_zone"]
    if not any(k in form.errors for k in ("custom_css", "accent_color", "__all__")) and not any(
        k.startswith(("color_", "link_")) for k in form.errors
    ):
        for name, value in form.branding_values().items():
            setattr(page, name, value)
    saved = brand_assets(page)
    css = brand_css(page)
    request.session[PREVIEW_CSS_KEY] = str(css)
    href = f"{reverse('dashboard-page-preview-css')}?v={css_version(css)}" if css else ""
    brand = Brand(
        css_href=href,
        logo_src=_preview_image(form, "logo", saved.logo_src),
        favicon_src=_preview_image(form, "favicon", saved.favicon_src),
    )
    notice = "Preview: not saved yet."
    if form.errors:  # the form's only error of its own is too many footer links
        fields = [
            str(form.fields[k].label or k) if k in form.fields else "footer links"
            for k in form.errors
        ]
        notice += f" Not valid yet, so shown as saved: {', '.join(dict.fromkeys(fields))}."
    return brand, notice


def _preview_image(form: PageSettingsForm, name: str, saved: str) -> str:
    image = form.cleaned_data.get(name)
    if image is not None:  # checked above: a data: URL, shown in the frame only
        return f"data:{image.content_type};base64,{base64.b64encode(image.data).decode()}"
    if form.cleaned_data.get(f"remove_{name}"):
        return ""
    return saved


@require_safe
@operator_required(Role.ADMIN)
def page_settings_preview_css(request: DashboardRequest) -> HttpResponse:
    return HttpResponse(
        request.session.get(PREVIEW_CSS_KEY, ""), content_type="text/css; charset=utf-8"
    )


@require_http_methods(["GET", "POST"])
@operator_required(Role.VIEWER, write=Role.ADMIN, install=True)
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
@operator_required(Role.ADMIN, install=True)
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
