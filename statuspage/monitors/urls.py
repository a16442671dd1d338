from django.urls import path

from statuspage.monitors import views

urlpatterns = [
    path("monitors/heartbeat/<str:token>", views.heartbeat, name="monitors-heartbeat"),
]
