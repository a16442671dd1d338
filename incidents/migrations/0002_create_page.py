"""The install's single Page row exists from the start, so reads never have to create it."""

from django.conf import settings
from django.db import migrations


def create_page(apps, schema_editor):
    Page = apps.get_model("incidents", "Page")
    if not Page.objects.exists():
        from incidents.models import new_public_id

        Page.objects.create(
            name="Status", url="http://127.0.0.1:8000", time_zone=settings.TIME_ZONE,
            public_id=new_public_id(),
        )


class Migration(migrations.Migration):
    dependencies = [("incidents", "0001_initial")]
    operations = [migrations.RunPython(create_page, migrations.RunPython.noop)]
