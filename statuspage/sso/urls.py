from django.urls import path

from statuspage.sso import views

urlpatterns = [
    path("readers/oidc/start", views.oidc_start, name="reader-oidc-start"),
    path("readers/oidc/callback", views.oidc_callback, name="reader-oidc-callback"),
]
