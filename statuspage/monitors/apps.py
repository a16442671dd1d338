from django.apps import AppConfig


class MonitorsConfig(AppConfig):
    name = "statuspage.monitors"
    label = "monitors"
    verbose_name = "Built-in monitors"
