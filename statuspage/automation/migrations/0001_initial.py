# AlertRoute and AlertState move here from the api app without losing a row: they enter this
# app's state on the tables api.0002 created (api.0004 runs first and drops them from that
# app's state), then the tables, the routes' components table included, get this app's names.
# The content types move with them, so permissions granted on them stay attached.

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

MOVED_MODELS = ['alertroute', 'alertstate']


def relabel_content_types(apps, schema_editor, old_label, new_label):
    ContentType = apps.get_model('contenttypes', 'ContentType')
    types = ContentType.objects.using(schema_editor.connection.alias)
    for model in MOVED_MODELS:
        # Already there (a migrate interrupted after post_migrate created it): leave the old one
        # for remove_stale_contenttypes rather than break the unique (app_label, model).
        if not types.filter(app_label=new_label, model=model).exists():
            types.filter(app_label=old_label, model=model).update(app_label=new_label)


def forwards(apps, schema_editor):
    relabel_content_types(apps, schema_editor, 'api', 'automation')


def backwards(apps, schema_editor):
    relabel_content_types(apps, schema_editor, 'automation', 'api')


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('incidents', '0003_page_branding'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='AlertRoute',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=100)),
                        ('position', models.PositiveIntegerField(default=0)),
                        ('enabled', models.BooleanField(default=True)),
                        ('matchers', models.JSONField(blank=True, default=list)),
                        ('firing_status', models.CharField(choices=[('degraded_performance', 'Degraded performance'), ('partial_outage', 'Partial outage'), ('major_outage', 'Major outage')], default='major_outage', max_length=32)),
                        ('open_incident', models.BooleanField(default=False)),
                        ('incident_name_template', models.CharField(blank=True, max_length=300)),
                        ('impact_override', models.CharField(blank=True, choices=[('none', 'None'), ('minor', 'Minor'), ('major', 'Major'), ('critical', 'Critical')], default='', max_length=16)),
                        ('notify', models.BooleanField(default=False)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('updated_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('components', models.ManyToManyField(related_name='alert_routes', to='incidents.component')),
                    ],
                    options={
                        'ordering': ['position', 'id'],
                        'db_table': 'api_alertroute',
                    },
                ),
                migrations.CreateModel(
                    name='AlertState',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('fingerprint', models.CharField(max_length=100, unique=True)),
                        ('group_hash', models.CharField(blank=True, db_index=True, max_length=64)),
                        ('alertname', models.CharField(blank=True, max_length=200)),
                        ('labels', models.JSONField(default=dict)),
                        ('annotations', models.JSONField(default=dict)),
                        ('status', models.CharField(choices=[('firing', 'Firing'), ('resolved', 'Resolved')], max_length=16)),
                        ('starts_at', models.DateTimeField(blank=True, null=True)),
                        ('first_seen_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('last_seen_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('resolved_at', models.DateTimeField(blank=True, null=True)),
                        ('component_ids', models.JSONField(default=list)),
                        ('component_status', models.CharField(blank=True, max_length=32)),
                        ('incident', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='alert_states', to='incidents.incident')),
                        ('route', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='states', to='automation.alertroute')),
                    ],
                    options={
                        'ordering': ['-last_seen_at', '-id'],
                        'db_table': 'api_alertstate',
                    },
                ),
            ],
        ),
        migrations.AlterModelTable(name='alertroute', table=None),
        migrations.AlterModelTable(name='alertstate', table=None),
        migrations.RunPython(forwards, backwards),
    ]
