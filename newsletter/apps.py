from django.apps import AppConfig


class NewsletterConfig(AppConfig):
    name = "newsletter"
    verbose_name = "Newsletter"

    def ready(self):
        from django.db.models.signals import post_save

        from blog.models import Post
        from comments.signals import newsletter_consent_given
        from newsletter.receivers import (
            announce_post_when_published,
            subscribe_confirmed_commenter,
        )

        newsletter_consent_given.connect(
            subscribe_confirmed_commenter, dispatch_uid="newsletter-comment-consent"
        )
        post_save.connect(
            announce_post_when_published, sender=Post, dispatch_uid="newsletter-post-email"
        )
