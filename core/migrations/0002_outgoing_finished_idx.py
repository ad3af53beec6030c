# The worker purges sent and failed messages by age (OUTBOX_RETENTION_DAYS).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="outgoingemail",
            index=models.Index(fields=["status", "created_at"], name="outgoing_finished_idx"),
        ),
    ]
