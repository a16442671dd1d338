# AlertRoute and AlertState belong to statuspage.automation now (automation.0001 adopts the
# tables and renames them). This migration only drops them from this app's state; the rows
# stay where they are. The api app has no models after it.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('api', '0003_apikey_to_access'),
    ]

    run_before = [
        ('automation', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name='AlertState'),
                migrations.DeleteModel(name='AlertRoute'),
            ],
        ),
    ]
