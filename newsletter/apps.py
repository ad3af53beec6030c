import datetime

from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import post_save


class NewsletterConfig(AppConfig):
    name = "newsletter"
    verbose_name = "Newsletter"

    def ready(self):
        # App modules are imported here, once the app registry is ready; the receivers are
        # connected explicitly rather than as a side effect of importing some module.
        from blog.models import Post
        from comments.signals import newsletter_consent_given
        from core import backups, periodic
        from core.transfer import appliers
        from newsletter import (
            export,
            rendering,
            restore,
            site_import,
            stats,
            subscriptions,
            tasks,
            tokens,
        )
        from newsletter.receivers import (
            announce_post_when_published,
            subscribe_confirmed_commenter,
        )

        newsletter_consent_given.connect(
            subscribe_confirmed_commenter, dispatch_uid="newsletter-comment-consent"
        )
        appliers.register("newsletter", apply=site_import.apply, order=30)
        post_save.connect(
            announce_post_when_published, sender=Post, dispatch_uid="newsletter-post-email"
        )
        # The worker's own schedule (core.periodic); the cron commands stay as safety nets.
        periodic.register(
            "newsletter-editions",
            every=datetime.timedelta(seconds=settings.PERIODIC_TICK_SECONDS),
            run=tasks.keep_editions_moving,
        )
        periodic.register(
            "newsletter-purge-pending",
            every=datetime.timedelta(days=1),
            run=subscriptions.purge_pending,
        )
        periodic.register(
            "newsletter-headlines",
            every=datetime.timedelta(hours=1),
            run=tasks.import_headlines_hourly,
        )
        export.register()
        restore.register()
        # Links in emails already sent: a backup lists them, a restore checks they still work.
        backups.register_link(
            tokens.CONFIRM_LINK.salt,
            description="Newsletter confirmation links",
            max_age_setting="NEWSLETTER_CONFIRM_MAX_AGE",
        )
        backups.register_link(
            tokens.UNSUBSCRIBE_LINK.salt, description="Newsletter unsubscribe links"
        )
        backups.register_link(
            tokens.PREFERENCES_LINK.salt, description="Newsletter preferences links"
        )
        backups.register_link(rendering.CLICK_LINK.salt, description="Edition links (click counts)")
        stats.register()
