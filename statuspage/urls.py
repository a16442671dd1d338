from django.contrib import admin
from django.urls import include, path

from statuspage import health, metrics
from statuspage.dashboard.views.admin import page_settings_preview
from statuspage.public.views import render_index

urlpatterns = [
    path("", include("statuspage.public.urls")),
    path("admin/", admin.site.urls),
    # The dashboard's preview of the public front page: the two surfaces meet here only.
    path(
        "dashboard/settings/preview/",
        page_settings_preview,
        {"render_index": render_index},
        name="dashboard-page-preview",
    ),
    path("dashboard/", include("statuspage.dashboard.urls")),
    path("healthz", health.healthz, name="ops-healthz"),
    path("readyz", health.readyz, name="ops-readyz"),
    path("metrics", metrics.metrics, name="ops-metrics"),
    path("api/v2/", include("statuspage.api.urls")),
    path("api/v1/", include("statuspage.api.v1.urls")),
    path("", include("statuspage.widget.urls")),
    path("", include("notifications.urls")),
    path("", include("statuspage.monitors.urls")),
    # Sign-in of readers of pages that are not public (the reader gate leaves these open).
    path("", include("statuspage.readers.urls")),
    path("", include("statuspage.sso.urls")),
]

# A short human page (503 when the database is unreachable), never a traceback.
handler500 = "statuspage.errors.server_error"
handler404 = "statuspage.errors.not_found"
handler403 = "statuspage.errors.forbidden"
handler400 = "statuspage.errors.bad_request"
