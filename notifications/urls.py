from django.urls import path

from notifications import views

urlpatterns = [
    path("subscribe", views.subscribe, name="notifications-subscribe"),
    path("subscribe/sms", views.subscribe_sms_code, name="notifications-sms-code"),
    path("subscribe/confirm/<str:token>", views.confirm, name="notifications-confirm"),
    path("manage/<str:token>", views.manage, name="notifications-manage"),
    # Also the List-Unsubscribe target: its one-click POST is the same POST as the form's.
    path("unsubscribe/<str:token>", views.unsubscribe, name="notifications-unsubscribe"),
    path("hooks/twilio/inbound", views.twilio_inbound, name="notifications-twilio-inbound"),
    path("hooks/twilio/status", views.twilio_status, name="notifications-twilio-status"),
]
