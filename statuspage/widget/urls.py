"""The embeds and badges, at the site root (the paths Statuspage users already paste)."""

from django.urls import path, re_path

from statuspage.widget import views

urlpatterns = [
    path("embed/script.js", views.script, name="widget-script"),
    path("embed/state.json", views.state, name="widget-state"),
    path("embed/frame", views.frame, name="widget-frame"),
    path("embed/status", views.status_frame, name="widget-status"),
    path("badge.svg", views.badge, name="widget-badge"),
    path("badge.json", views.badge_json, name="widget-badge-json"),
    re_path(
        r"^badge/(?P<public_id>[0-9a-z]{12})\.svg$",
        views.component_badge,
        name="widget-component-badge",
    ),
]
