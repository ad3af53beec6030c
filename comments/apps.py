from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CommentsConfig(AppConfig):
    name = "comments"
    verbose_name = "Comments"

    def ready(self):
        from django_comments_xtd.moderation import moderator

        from blog.models import Post
        from comments import admin_rules, receivers  # noqa: F401 (registers admin, receivers)
        from comments.moderation import PostModerator

        moderator.register(Post, PostModerator)
        post_migrate.connect(receivers.sync_site, sender=self)
