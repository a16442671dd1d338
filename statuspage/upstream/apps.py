from django.apps import AppConfig


class UpstreamConfig(AppConfig):
    name = "statuspage.upstream"
    label = "upstream"
    verbose_name = "Upstream providers"
