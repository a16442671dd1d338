"""Many pages per install: the single-row constraint goes, pages gain a slug (the /p/<slug>/
prefix) and host names, and every page-owned object gains a `page`, filled with the existing
page (created the way 0002 does when objects exist without one)."""

import django.db.models.deletion
import django.db.models.functions.text
from django.conf import settings
from django.db import migrations, models

import incidents.models

OWNED = ("componentgroup", "component", "incident", "maintenance", "incidenttemplate", "publicchange")


def the_page_id(apps, models_with_rows):
    """The existing page's id; a page is created only when objects need one."""
    Page = apps.get_model("incidents", "Page")
    page = Page.objects.order_by("id").first()
    if page is None:
        if not any(model.objects.exists() for model in models_with_rows):
            return None
        page = Page.objects.create(
            name="Status", time_zone=settings.TIME_ZONE, public_id=incidents.models.new_public_id()
        )
    return page.id


def fill(apps, schema_editor):
    Page = apps.get_model("incidents", "Page")
    for page in Page.objects.filter(slug__isnull=True).order_by("id"):
        page.slug = "main" if not Page.objects.filter(slug="main").exists() else page.public_id
        page.save(update_fields=["slug"])
    owned = [apps.get_model("incidents", name) for name in OWNED]
    page_id = the_page_id(apps, owned)
    if page_id is None:
        return
    for model in owned:
        model.objects.filter(page__isnull=True).update(page_id=page_id)


def back_to_one_page(apps, schema_editor):
    """Reversing is possible while the install holds one page only (0001's constraint)."""
    Page = apps.get_model("incidents", "Page")
    if Page.objects.count() > 1:
        raise RuntimeError("Delete every page but one before migrating back to one page.")


def owned_field(related_name, *, null):
    return models.ForeignKey(
        null=null,
        on_delete=django.db.models.deletion.CASCADE,
        related_name=related_name,
        to="incidents.page",
        **({} if null else {"default": incidents.models.default_page_id}),
    )


RELATED = {
    "componentgroup": "component_groups",
    "component": "components",
    "incident": "incidents",
    "maintenance": "maintenances",
    "incidenttemplate": "incident_templates",
    "publicchange": "public_changes",
}


class Migration(migrations.Migration):
    dependencies = [("incidents", "0012_page_language")]

    operations = [
        migrations.RemoveConstraint(model_name="page", name="page_single_row"),
        migrations.RemoveField(model_name="page", name="singleton"),
        migrations.AddField(
            model_name="page", name="slug", field=models.SlugField(max_length=50, null=True, db_index=False)
        ),
        *[
            migrations.AddField(
                model_name=model, name="page", field=owned_field(related, null=True)
            )
            for model, related in RELATED.items()
        ],
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="page",
            name="slug",
            field=models.SlugField(default=incidents.models.new_public_id, unique=True),
        ),
        *[
            migrations.AlterField(
                model_name=model, name="page", field=owned_field(related, null=False)
            )
            for model, related in RELATED.items()
        ],
        migrations.AlterField(
            model_name="incidenttemplate", name="name", field=models.CharField(max_length=120)
        ),
        migrations.AddConstraint(
            model_name="incidenttemplate",
            constraint=models.UniqueConstraint(
                fields=("page", "name"), name="incident_template_name_per_page"
            ),
        ),
        migrations.AlterField(
            model_name="publicchange", name="generation", field=models.BigIntegerField()
        ),
        migrations.AddConstraint(
            model_name="publicchange",
            constraint=models.UniqueConstraint(
                fields=("page", "generation"), name="public_change_generation_per_page"
            ),
        ),
        migrations.CreateModel(
            name="PageHost",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("host", models.CharField(max_length=253, unique=True, validators=[incidents.models.validate_host])),
                ("page", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="hosts", to="incidents.page")),
            ],
            options={
                "ordering": ["id"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("host", django.db.models.functions.text.Lower("host"))),
                        name="page_host_lowercase",
                    )
                ],
            },
        ),
        # Last, so that it runs first when migrating back.
        migrations.RunPython(migrations.RunPython.noop, back_to_one_page),
    ]
