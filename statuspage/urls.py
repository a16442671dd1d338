from django.contrib import admin
from django.urls import path

from statuspage.public import views as public

urlpatterns = [
    path("", public.index, name="public-index"),
    path("admin/", admin.site.urls),
]
