# The outbox moved here from `blog` (blog.0006 forgets it): the table stays where it was, so
# this only tells Django's state about it. It depends on blog.0004 because that migration
# still creates the table on a fresh database.

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("blog", "0004_outgoing_email"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="OutgoingEmail",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("mailer", models.CharField(help_text="The MAILERS alias that delivers it.", max_length=40)),
                        ("from_email", models.CharField(max_length=320)),
                        ("recipients", models.JSONField()),
                        ("subject", models.CharField(blank=True, max_length=300)),
                        ("message", models.BinaryField()),
                        ("status", models.CharField(choices=[("pending", "Waiting"), ("sending", "Sending"), ("sent", "Sent"), ("failed", "Failed")], default="pending", max_length=10)),
                        ("attempts", models.PositiveSmallIntegerField(default=0)),
                        ("next_attempt_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("last_error", models.CharField(blank=True, max_length=500)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("sent_at", models.DateTimeField(blank=True, null=True)),
                    ],
                    options={
                        "verbose_name": "outgoing email",
                        "ordering": ["-created_at"],
                        "db_table": "blog_outgoingemail",
                        "indexes": [models.Index(fields=["status", "next_attempt_at"], name="outgoing_due_idx")],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
