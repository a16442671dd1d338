# The public URL becomes optional: empty means "the address this site is reached at"
# (incidents/origin.py). The placeholder 0002 wrote for every new install (port 8000) was
# never a real setting, so it is cleared; any URL an operator chose is kept.

from django.db import migrations, models

PLACEHOLDER = "http://127.0.0.1:8000"


def clear_placeholder(apps, schema_editor):
    Page = apps.get_model("incidents", "Page")
    Page.objects.filter(url=PLACEHOLDER).update(url="")


def restore_placeholder(apps, schema_editor):
    Page = apps.get_model("incidents", "Page")
    Page.objects.filter(url="").update(url=PLACEHOLDER)


class Migration(migrations.Migration):

    dependencies = [
        ("incidents", "0007_component_maintenance_by_hand"),
    ]

    operations = [
        migrations.AlterField(
            model_name="page",
            name="url",
            field=models.URLField(
                blank=True,
                default="",
                help_text="Public URL of the status page. Empty: the address this site is reached at.",
            ),
        ),
        migrations.RunPython(clear_placeholder, restore_placeholder),
    ]
