from django.db import migrations, models


def fill_thread_keys(apps, schema_editor):
    """Copy each existing comment's post id and "starts a thread" into its own row."""
    Comment = apps.get_model("comments", "Comment")
    ContentType = apps.get_model("contenttypes", "ContentType")
    post_type = ContentType.objects.filter(app_label="blog", model="post").first()
    rows = Comment.objects.values_list("pk", "content_type_id", "object_pk", "parent_id")
    batch = []
    for pk, content_type_id, object_pk, parent_id in rows.iterator(chunk_size=2000):
        on_post = post_type is not None and content_type_id == post_type.pk
        batch.append(
            Comment(
                pk=pk,
                post_pk=int(object_pk) if on_post else None,
                starts_thread=not parent_id or parent_id == pk,
            )
        )
        if len(batch) == 2000:
            Comment.objects.bulk_update(batch, ["post_pk", "starts_thread"])
            batch = []
    Comment.objects.bulk_update(batch, ["post_pk", "starts_thread"])


class Migration(migrations.Migration):
    dependencies = [
        ("comments", "0004_pending_comments"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AddField(
            model_name="comment",
            name="post_pk",
            field=models.PositiveIntegerField(editable=False, null=True),
        ),
        migrations.AddField(
            model_name="comment",
            name="starts_thread",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.AddIndex(
            model_name="comment",
            index=models.Index(
                fields=["post_pk", "starts_thread", "xtdcomment_ptr"],
                name="comment_post_threads_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="comment",
            index=models.Index(
                fields=["post_pk", "published_at", "xtdcomment_ptr"], name="comment_post_feed_idx"
            ),
        ),
        migrations.RemoveIndex(model_name="comment", name="comment_published_idx"),
        migrations.AddIndex(
            model_name="comment",
            index=models.Index(fields=["published_at", "xtdcomment_ptr"], name="comment_feed_idx"),
        ),
        migrations.RunPython(fill_thread_keys, migrations.RunPython.noop, elidable=True),
    ]
