"""A page's notification sender: From, Reply-To, SMS sender, webhook signing secret."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from notifications import senders, services
from statuspage.access.models import Role
from statuspage.dashboard.forms.notification_settings import PageNotificationSettingsForm
from statuspage.dashboard.permissions import DashboardRequest, operator_required
from statuspage.dashboard.views.common import actor_for, form_status


@require_http_methods(["GET", "POST"])
@operator_required(Role.ADMIN)
def notification_settings(request: DashboardRequest) -> HttpResponse:
    page = request.dashboard_page
    row = services.page_notification_settings_get(page)
    form = PageNotificationSettingsForm(request.POST or None, instance=row)
    if request.method == "POST" and form.is_valid():
        try:
            services.page_notification_settings_save(
                page=page,
                actor=actor_for(request),
                values={name: form.cleaned_data[name] for name in form.Meta.fields},
                signing=form.cleaned_data["webhook_secret_action"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Notification settings saved.")
            return redirect("dashboard-notification-settings")
    context = {
        "form": form,
        "page": page,
        "row": row,
        "sender": senders.sender_for(page),
    }
    return render(
        request, "dashboard/admin/notification_settings.html", context, status=form_status(form)
    )
