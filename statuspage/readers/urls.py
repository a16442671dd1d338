from django.urls import path

from statuspage.readers import views

urlpatterns = [
    path("readers/", views.signin, name="reader-signin"),
    path("readers/password", views.password, name="reader-password"),
    path("readers/link", views.link_request, name="reader-link-request"),
    path("readers/link/<str:token>", views.link, name="reader-link"),
    path("readers/sign-out", views.signout, name="reader-signout"),
    path("readers/feeds", views.feed_addresses, name="reader-feeds"),
    path("readers/feeds/<int:secret_id>/revoke", views.feed_revoke, name="reader-feed-revoke"),
]
