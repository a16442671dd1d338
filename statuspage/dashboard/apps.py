from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "statuspage.dashboard"
    label = "dashboard"
    verbose_name = "Operator dashboard"
