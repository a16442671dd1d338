from django.apps import AppConfig


class AutomationConfig(AppConfig):
    name = "statuspage.automation"
    label = "automation"
    verbose_name = "Automation from monitoring"
