from django.apps import AppConfig
from django.core import checks


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Subscribers and notifications"

    def ready(self) -> None:
        from notifications.checks import webhook_private_addresses

        checks.register(webhook_private_addresses, checks.Tags.security)
