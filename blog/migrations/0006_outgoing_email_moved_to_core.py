# The outbox now belongs to `core` (core.0001 takes it over); the table is kept as it is.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("blog", "0005_post_comments_open"),
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="OutgoingEmail")],
            database_operations=[],
        ),
    ]
