# Membership (from the dashboard app) and ApiKey (from the api app) move here without losing a
# row: each enters this app's state on the table its old app created (dashboard.0004 and
# api.0003 run first and drop it from their state), then the tables get this app's names. The
# content types move with them, so permissions granted on them stay attached.

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

# (old app label, model)
MOVED_MODELS = [('dashboard', 'membership'), ('api', 'apikey')]


def relabel_content_types(apps, schema_editor, forwards):
    ContentType = apps.get_model('contenttypes', 'ContentType')
    types = ContentType.objects.using(schema_editor.connection.alias)
    for old_label, model in MOVED_MODELS:
        source, target = (old_label, 'access') if forwards else ('access', old_label)
        # Already there (a migrate interrupted after post_migrate created it): leave the old one
        # for remove_stale_contenttypes rather than break the unique (app_label, model).
        if not types.filter(app_label=target, model=model).exists():
            types.filter(app_label=source, model=model).update(app_label=target)


def forwards(apps, schema_editor):
    relabel_content_types(apps, schema_editor, forwards=True)


def backwards(apps, schema_editor):
    relabel_content_types(apps, schema_editor, forwards=False)


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Membership',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('role', models.CharField(choices=[('viewer', 'Viewer (read only)'), ('responder', 'Responder (incidents, maintenance, component statuses)'), ('admin', 'Admin (components, groups, page settings, users)')], default='viewer', max_length=16)),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='dashboard_membership', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'dashboard_membership',
                    },
                ),
                migrations.CreateModel(
                    name='ApiKey',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=100)),
                        ('scopes', models.JSONField(default=list)),
                        ('prefix', models.CharField(editable=False, max_length=8, unique=True)),
                        ('digest', models.CharField(editable=False, max_length=64)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('last_used_at', models.DateTimeField(blank=True, null=True)),
                        ('revoked_at', models.DateTimeField(blank=True, null=True)),
                        ('owner', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='api_keys', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'API key',
                        'ordering': ['-created_at', '-id'],
                        'db_table': 'api_apikey',
                    },
                ),
            ],
        ),
        migrations.AlterModelTable(name='membership', table=None),
        migrations.AlterModelTable(name='apikey', table=None),
        migrations.RunPython(forwards, backwards),
    ]
