from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "statuspage.api"
    label = "api"
    verbose_name = "API"
