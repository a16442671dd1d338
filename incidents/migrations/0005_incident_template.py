# Incident templates move here from the dashboard app without losing a row: the model enters
# this app's state on the table dashboard.0002 created (dashboard.0003 runs first and drops it
# from that app's state), then the table and its components table get this app's names. The
# content type moves with it, so permissions granted on it stay attached.

from django.db import migrations, models

MOVED_MODELS = ['incidenttemplate']


def relabel_content_types(apps, schema_editor, old_label, new_label):
    ContentType = apps.get_model('contenttypes', 'ContentType')
    types = ContentType.objects.using(schema_editor.connection.alias)
    for model in MOVED_MODELS:
        # Already there (a migrate interrupted after post_migrate created it): leave the old one
        # for remove_stale_contenttypes rather than break the unique (app_label, model).
        if not types.filter(app_label=new_label, model=model).exists():
            types.filter(app_label=old_label, model=model).update(app_label=new_label)


def forwards(apps, schema_editor):
    relabel_content_types(apps, schema_editor, 'dashboard', 'incidents')


def backwards(apps, schema_editor):
    relabel_content_types(apps, schema_editor, 'incidents', 'dashboard')


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('incidents', '0004_page_notify_component_changes'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='IncidentTemplate',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=120, unique=True)),
                        ('title', models.CharField(max_length=200)),
                        ('body', models.TextField(help_text='Markdown, rendered as a sandboxed Jinja2 template.')),
                        ('status', models.CharField(choices=[('investigating', 'Investigating'), ('identified', 'Identified'), ('monitoring', 'Monitoring')], default='investigating', max_length=16)),
                        ('component_status', models.CharField(choices=[('operational', 'Operational'), ('degraded_performance', 'Degraded performance'), ('partial_outage', 'Partial outage'), ('major_outage', 'Major outage')], default='major_outage', help_text="The status the incident gives the template's components.", max_length=24)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('components', models.ManyToManyField(blank=True, related_name='+', to='incidents.component')),
                    ],
                    options={
                        'ordering': ['name'],
                        'db_table': 'dashboard_incidenttemplate',
                    },
                ),
            ],
        ),
        migrations.AlterModelTable(name='incidenttemplate', table=None),
        migrations.RunPython(forwards, backwards),
    ]
