"""URLs of the public site. Ids are 12-char base36; anything else does not match (a real 404)."""

from django.urls import path, re_path

from incidents.languages import CODES
from statuspage.public import feeds, system_metrics, views

urlpatterns = [
    path("", views.index, name="public-index"),
    # The front page in a chosen language; the other translated pages take the same prefix
    # through statuspage/public/language.py's middleware.
    re_path(
        r"^(?P<language>" + "|".join(sorted(CODES)) + r")/$",
        views.index_in_language,
        name="public-index-in",
    ),
    path("index.md", views.index_markdown, name="public-index-md"),
    path("favicon.ico", views.favicon, name="public-favicon"),
    path("history", views.history, name="public-history"),
    path("history.atom", feeds.history_atom, name="public-history-atom"),
    path("history.rss", feeds.history_rss, name="public-history-rss"),
    path("maintenance.ics", feeds.maintenance_ics, name="public-maintenance-ics"),
    path("uptime", views.uptime_page, name="public-uptime"),
    path("system-metrics", system_metrics.system_metrics, name="public-system-metrics"),
    re_path(
        r"^system-metrics/(?P<period>week|month)$",
        system_metrics.system_metrics,
        name="public-system-metrics-period",
    ),
    path("brand.css", views.brand_stylesheet, name="public-brand-css"),
    re_path(
        r"^branding/(?P<name>[0-9a-f]{32}\.(?:png|jpg|webp|ico))$",
        views.branding_file,
        name="public-branding-file",
    ),
    re_path(
        r"^incidents/(?P<public_id>[0-9a-z]{12})$", views.incident_detail, name="public-incident"
    ),
    re_path(
        r"^maintenance/(?P<public_id>[0-9a-z]{12})$",
        views.maintenance_detail,
        name="public-maintenance",
    ),
]
