import datetime

from django.apps import AppConfig
from django.apps import apps as global_apps
from django.db.models.signals import post_delete, post_migrate


class BlogConfig(AppConfig):
    name = "blog"
    verbose_name = "Blog"

    def ready(self):
        from blog import (
            articles,
            checklist,
            export,
            images,
            previews,
            restore,
            signals,
            site_import,
            stats,
        )
        from blog.models import Image, Post
        from core import backups, pagecache, periodic
        from core.transfer import appliers

        signals.connect_receivers()
        post_delete.connect(images.delete_image_files, sender=Image, dispatch_uid="image-files")
        pagecache.register_scheduled_change(Post.objects.next_publication)
        # A release or settings that print articles differently store them again once
        # migrated (in the worker); posts written in bulk (imports) get theirs within the hour.
        post_migrate.connect(store_outdated_articles, sender=self, dispatch_uid="blog-articles")
        periodic.register(
            "blog-articles", every=datetime.timedelta(hours=1), run=articles.store_outdated_articles
        )
        checklist.register()
        stats.register()
        export.register()
        restore.register()
        appliers.register("blog", apply=site_import.apply, order=10)
        backups.register_link(
            previews.PREVIEW.salt,
            description="Shared draft-preview links",
            max_age_setting="PREVIEW_LINK_MAX_AGE",
        )


def store_outdated_articles(sender, using, apps=global_apps, **kwargs):
    from django.db import transaction

    from blog import tasks

    try:
        posts = apps.get_model("blog", "Post")
    except LookupError:  # migrated back to before there were posts
        return
    if posts.objects.using(using).exists():  # a new database gets no task for nothing
        # Robust: a queue that is down is logged, not a failed `migrate` (the hourly job
        # stores them too).
        transaction.on_commit(tasks.store_outdated_articles.enqueue, using=using, robust=True)
