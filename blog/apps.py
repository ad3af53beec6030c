from django.apps import AppConfig
from django.db.models.signals import post_delete


class BlogConfig(AppConfig):
    name = "blog"
    verbose_name = "Blog"

    def ready(self):
        from blog import checklist, export, images, previews, restore, signals, site_import, stats
        from blog.models import Image, Post
        from core import backups, pagecache
        from core.transfer import appliers

        signals.connect_receivers()
        post_delete.connect(images.delete_image_files, sender=Image, dispatch_uid="image-files")
        pagecache.register_scheduled_change(Post.objects.next_publication)
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
