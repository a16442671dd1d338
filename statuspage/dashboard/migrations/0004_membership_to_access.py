# Membership belongs to statuspage.access now (access.0001 adopts the table and renames it).
# This migration only drops it from this app's state; the rows stay where they are.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('dashboard', '0003_incident_template_to_incidents'),
    ]

    run_before = [
        ('access', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='Membership')],
        ),
    ]
