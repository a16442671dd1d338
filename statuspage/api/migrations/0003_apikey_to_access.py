# ApiKey belongs to statuspage.access now (access.0001 adopts the table and renames it). This
# migration only drops it from this app's state; the rows stay where they are.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('api', '0002_automation'),
    ]

    run_before = [
        ('access', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='ApiKey')],
        ),
    ]
