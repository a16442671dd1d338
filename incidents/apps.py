from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Incidents and components"

    def ready(self) -> None:
        from incidents.models import Page, PageHost

        # The page routes (hosts, slugs, the default page) change with these rows only.
        post_save.connect(_page_saved, sender=Page, dispatch_uid="routes-save-Page")
        post_save.connect(_routes_changed, sender=PageHost, dispatch_uid="routes-save-PageHost")
        for model in (Page, PageHost):
            name = model.__name__
            post_delete.connect(_routes_changed, sender=model, dispatch_uid=f"routes-delete-{name}")


def _page_saved(*, instance: Any, created: bool, **kwargs: object) -> None:
    from incidents import page_routes

    page_routes.page_saved(instance.pk, instance.slug, instance.visibility, created=created)


def _routes_changed(**kwargs: object) -> None:
    from incidents import page_routes

    page_routes.changed()
