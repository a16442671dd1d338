# IncidentTemplate is the domain's now (incidents.0005 adopts the table and renames it). This
# migration only drops it from this app's state; the rows stay where they are.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('dashboard', '0002_incident_template'),
    ]

    # Declared here rather than as a dependency there, so the domain's migrations name no
    # web surface.
    run_before = [
        ('incidents', '0005_incident_template'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='IncidentTemplate')],
        ),
    ]
