from django.contrib import admin
from django.urls import include, path

from statuspage.public import views as public

urlpatterns = [
    path("", public.index, name="public-index"),
    path("admin/", admin.site.urls),
    path("", include("notifications.urls")),
]
