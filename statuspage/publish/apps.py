from django.apps import AppConfig
from django.core import checks


class PublishConfig(AppConfig):
    name = "statuspage.publish"
    label = "publish"
    verbose_name = "Publishing to static targets"

    def ready(self) -> None:
        from statuspage.publish.checks import publish_targets

        checks.register(publish_targets)
