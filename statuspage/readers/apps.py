from django.apps import AppConfig


class ReadersConfig(AppConfig):
    name = "statuspage.readers"
    label = "readers"
    default_auto_field = "django.db.models.BigAutoField"
