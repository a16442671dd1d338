from django.apps import AppConfig


class SsoConfig(AppConfig):
    name = "statuspage.sso"
    label = "sso"
    verbose_name = "Reader single sign-on"
    default_auto_field = "django.db.models.BigAutoField"
