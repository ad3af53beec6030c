import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Count, Q


def count_existing_comments(apps, schema_editor):
    """One Discussion row per commented post, counted as comments.counts.recount counts."""
    Comment = apps.get_model("comments", "Comment")
    Discussion = apps.get_model("comments", "Discussion")
    Post = apps.get_model("blog", "Post")
    rows = (
        Comment.objects.filter(post_pk__isnull=False, is_public=True)
        .order_by()
        .values_list("post_pk")
        .annotate(
            comments=Count("pk", filter=Q(is_removed=False)),
            threads=Count("pk", filter=Q(starts_thread=True)),
        )
    )
    existing = set(Post.objects.values_list("pk", flat=True))
    Discussion.objects.bulk_create(
        [
            Discussion(post_id=post_pk, comment_count=comments, thread_count=threads)
            for post_pk, comments, threads in rows
            if post_pk in existing
        ],
        batch_size=1000,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("blog", "0009_post_revisions_and_last_public_slug"),
        ("comments", "0005_comment_thread_keys"),
    ]

    operations = [
        migrations.CreateModel(
            name="Discussion",
            fields=[
                (
                    "post",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="discussion",
                        serialize=False,
                        to="blog.post",
                    ),
                ),
                (
                    "comment_count",
                    models.PositiveIntegerField(default=0, help_text="Public comments (`PUBLIC`)."),
                ),
                (
                    "thread_count",
                    models.PositiveIntegerField(
                        default=0,
                        help_text="Public top-level comments, removed ones included: they stay "
                        "as placeholders above their replies.",
                    ),
                ),
            ],
            options={"verbose_name": "discussion"},
        ),
        migrations.RunPython(count_existing_comments, migrations.RunPython.noop, elidable=True),
    ]
