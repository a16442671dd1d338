"""/api/v2/: the public Statuspage-compatible JSON (shared/reference/statuspage-api.md, 1)."""

from django.urls import path, re_path

from statuspage.api import views

urlpatterns = [
    path("summary.json", views.summary, name="api-v2-summary"),
    path("status.json", views.status, name="api-v2-status"),
    path("components.json", views.components, name="api-v2-components"),
    path("incidents.json", views.incidents, name="api-v2-incidents"),
    path(
        "incidents/unresolved.json", views.incidents_unresolved, name="api-v2-incidents-unresolved"
    ),
    re_path(
        r"^incidents/(?P<public_id>[0-9a-z]{12})\.json$",
        views.incident_detail,
        name="api-v2-incident",
    ),
    path(
        "scheduled-maintenances.json",
        views.scheduled_maintenances,
        name="api-v2-scheduled-maintenances",
    ),
    path(
        "scheduled-maintenances/upcoming.json",
        views.scheduled_maintenances_upcoming,
        name="api-v2-scheduled-maintenances-upcoming",
    ),
    path(
        "scheduled-maintenances/active.json",
        views.scheduled_maintenances_active,
        name="api-v2-scheduled-maintenances-active",
    ),
    re_path(r"^.*$", views.not_found, name="api-v2-not-found"),
]
