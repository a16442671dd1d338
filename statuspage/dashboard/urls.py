from django.urls import path

from statuspage.dashboard.views import (
    admin,
    audit,
    auth,
    automation,
    components,
    incidents,
    maintenance,
    overview,
    templates,
    twofactor,
)

urlpatterns = [
    path("", overview.overview, name="dashboard-overview"),
    path("login/", auth.LoginView.as_view(), name="dashboard-login"),
    path("logout/", auth.LogoutView.as_view(), name="dashboard-logout"),
    path("password-reset/", auth.PasswordResetView.as_view(), name="dashboard-password-reset"),
    path(
        "password-reset/sent/",
        auth.PasswordResetDoneView.as_view(),
        name="dashboard-password-reset-done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        auth.PasswordResetConfirmView.as_view(),
        name="dashboard-password-reset-confirm",
    ),
    path(
        "password-reset/complete/",
        auth.PasswordResetCompleteView.as_view(),
        name="dashboard-password-reset-complete",
    ),
    path("2fa/setup/", twofactor.setup, name="dashboard-2fa-setup"),
    path("2fa/verify/", twofactor.verify, name="dashboard-2fa-verify"),
    path(
        "2fa/recovery-codes/",
        twofactor.recovery_codes_regenerate,
        name="dashboard-2fa-recovery-codes",
    ),
    path(
        "components/<int:pk>/status/",
        overview.component_status,
        name="dashboard-component-status",
    ),
    path("preview/", incidents.preview, name="dashboard-preview"),
    path("incidents/", incidents.incident_list, name="dashboard-incident-list"),
    path("incidents/new/", incidents.incident_new, name="dashboard-incident-new"),
    path("incidents/<str:public_id>/", incidents.incident_detail, name="dashboard-incident"),
    path(
        "incidents/<str:public_id>/update/",
        incidents.incident_update,
        name="dashboard-incident-update",
    ),
    path(
        "incidents/<str:public_id>/resolve/",
        incidents.incident_resolve,
        name="dashboard-incident-resolve",
    ),
    path(
        "incidents/updates/<str:public_id>/edit/",
        incidents.update_edit,
        name="dashboard-incident-update-edit",
    ),
    path(
        "incidents/<str:public_id>/postmortem/",
        incidents.postmortem,
        name="dashboard-incident-postmortem",
    ),
    path("maintenance/", maintenance.maintenance_list, name="dashboard-maintenance-list"),
    path("maintenance/new/", maintenance.maintenance_new, name="dashboard-maintenance-new"),
    path(
        "maintenance/<str:public_id>/",
        maintenance.maintenance_detail,
        name="dashboard-maintenance",
    ),
    path(
        "maintenance/<str:public_id>/<str:action>/",
        maintenance.maintenance_action,
        name="dashboard-maintenance-action",
    ),
    path("components/", components.component_list, name="dashboard-component-list"),
    path("components/new/", components.component_new, name="dashboard-component-new"),
    path("components/<int:pk>/edit/", components.component_edit, name="dashboard-component-edit"),
    path("groups/new/", components.group_new, name="dashboard-group-new"),
    path("groups/<int:pk>/edit/", components.group_edit, name="dashboard-group-edit"),
    path(
        "order/<str:kind>/<int:pk>/<str:direction>/",
        components.move,
        name="dashboard-move",
    ),
    path("audit/", audit.audit_log, name="dashboard-audit"),
    path("templates/", templates.template_list, name="dashboard-template-list"),
    path("templates/new/", templates.template_edit, name="dashboard-template-new"),
    path("templates/<int:pk>/edit/", templates.template_edit, name="dashboard-template-edit"),
    path("templates/<int:pk>/delete/", templates.template_delete, name="dashboard-template-delete"),
    path("settings/", admin.page_settings, name="dashboard-page-settings"),
    path("operators/", admin.operators, name="dashboard-operators"),
    path("operators/<int:pk>/role/", admin.operator_role, name="dashboard-operator-role"),
    path("automation/", automation.automation_overview, name="dashboard-automation"),
    path("automation/routes/new/", automation.route_edit, name="dashboard-alert-route-new"),
    path(
        "automation/routes/<int:pk>/edit/", automation.route_edit, name="dashboard-alert-route-edit"
    ),
    path(
        "automation/routes/<int:pk>/delete/",
        automation.route_delete,
        name="dashboard-alert-route-delete",
    ),
    path(
        "automation/routes/<int:pk>/<str:direction>/",
        automation.route_move,
        name="dashboard-alert-route-move",
    ),
]
