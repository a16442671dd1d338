from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "statuspage.access"
    label = "access"
    verbose_name = "Operators and API keys"
