"""Subscribers and subscriber imports belong to a page; an address subscribes once per page."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import incidents.models

OWNED = {'subscriber': 'subscribers', 'subscriberimport': 'subscriber_imports'}


def fill(apps, schema_editor):
    """The existing page owns every row; one is created (as incidents' 0002 does) only when
    rows exist without any page."""
    owned = [apps.get_model('notifications', name) for name in OWNED]
    Page = apps.get_model("incidents", "Page")
    page = Page.objects.order_by("id").first()
    if page is None:
        if not any(model.objects.exists() for model in owned):
            return
        page = Page.objects.create(
            name="Status", time_zone=settings.TIME_ZONE, public_id=incidents.models.new_public_id()
        )
    for model in owned:
        model.objects.filter(page__isnull=True).update(page_id=page.id)


def owned_field(related_name, *, null):
    return models.ForeignKey(
        null=null,
        on_delete=django.db.models.deletion.CASCADE,
        related_name=related_name,
        to="incidents.page",
        **({} if null else {"default": incidents.models.default_page_id}),
    )


class Migration(migrations.Migration):
    dependencies = [("notifications", "0005_subscriber_language"), ("incidents", "0013_pages")]

    operations = [
        migrations.RemoveConstraint(model_name="subscriber", name="subscriber_address_once"),
        *[
            migrations.AddField(model_name=model, name="page", field=owned_field(related, null=True))
            for model, related in OWNED.items()
        ],
        migrations.RunPython(fill, migrations.RunPython.noop),
        *[
            migrations.AlterField(
                model_name=model, name="page", field=owned_field(related, null=False)
            )
            for model, related in OWNED.items()
        ],
        migrations.AddConstraint(
            model_name="subscriber",
            constraint=models.UniqueConstraint(
                fields=("page", "channel", "address"), name="subscriber_address_once_per_page"
            ),
        ),
    ]
