import datetime

from django.apps import AppConfig


class CommentsConfig(AppConfig):
    name = "comments"
    verbose_name = "Comments"

    def ready(self):
        """Register the moderator and connect every receiver of this app, here and only here."""
        from django.db.models.signals import post_delete, post_migrate, post_save
        from django.urls import register_converter
        from django.urls.converters import get_converters
        from django_comments.models import CommentFlag
        from django_comments.signals import comment_was_posted, comment_will_be_posted
        from django_comments_xtd import views as xtd_views
        from django_comments_xtd.models import TmpXtdComment
        from django_comments_xtd.moderation import moderator
        from django_comments_xtd.signals import confirmation_received

        from blog.models import Post
        from comments import (
            counts,
            export,
            flags,
            links,
            receivers,
            restore,
            site_import,
            stats,
        )
        from comments.accounts.links import SIGN_IN_LINK
        from comments.converters import IdConverter
        from comments.models import Comment
        from comments.moderation import PostModerator
        from comments.views.own import CHANGE_LINK
        from core import backups, periodic
        from core.transfer import appliers

        moderator.register(Post, PostModerator)
        if "id" not in get_converters():  # <id:...> in comments' URL modules, once
            register_converter(IdConverter, "id")

        # xtd's receiver mails a signed pickle as the confirmation link: ours signs JSON.
        comment_was_posted.disconnect(xtd_views.on_comment_was_posted, sender=TmpXtdComment)
        comment_was_posted.connect(
            receivers.comment_posted, sender=TmpXtdComment, dispatch_uid="comments-posted"
        )
        post_migrate.connect(receivers.sync_site, sender=self, dispatch_uid="comments-sync-site")
        # A release that prints sections differently stores them again once migrated (in the
        # worker), and a post whose comments closed by date gets its closed section within
        # the hour.
        post_migrate.connect(
            receivers.store_outdated_sections,
            sender=self,
            dispatch_uid="comments-sections",
        )
        periodic.register(
            "comments-sections",
            every=datetime.timedelta(hours=1),
            run=counts.store_outdated_sections,
        )
        comment_will_be_posted.connect(
            receivers.record_client_ip, sender=TmpXtdComment, dispatch_uid="comments-client-ip"
        )
        confirmation_received.connect(
            receivers.refuse_expired_confirmation,
            sender=TmpXtdComment,
            dispatch_uid="comments-link-expiry",
        )
        appliers.register("comments", apply=site_import.apply, order=20)
        post_save.connect(receivers.comment_saved, sender=Comment, dispatch_uid="comments-saved")
        post_save.connect(receivers.post_saved, sender=Post, dispatch_uid="comments-post-saved")
        post_delete.connect(
            receivers.comment_deleted, sender=Comment, dispatch_uid="comments-deleted"
        )
        post_save.connect(
            receivers.feedback_changed, sender=CommentFlag, dispatch_uid="comments-flagged"
        )
        post_delete.connect(
            receivers.feedback_changed, sender=CommentFlag, dispatch_uid="comments-unflagged"
        )
        post_save.connect(
            flags.hide_after_removal_suggestions,
            sender=CommentFlag,
            dispatch_uid="comments-hide-after-flags",
        )
        periodic.register(
            "comments-purge-pending",
            every=datetime.timedelta(hours=6),
            run=links.forget_expired_pending_comments,
        )
        export.register()
        restore.register()
        # Links in emails already sent: a backup lists them, a restore checks they still work.
        backups.register_link(
            links.CONFIRM_LINK.salt,
            description="Comment confirmation links",
            max_age_setting="COMMENTS_CONFIRMATION_MAX_AGE_DAYS",
        )
        backups.register_link(
            links.MUTE_LINK.salt,
            description="Stop-reply-emails links",
            max_age_setting="COMMENTS_MUTE_LINK_MAX_AGE_DAYS",
        )
        backups.register_link(
            CHANGE_LINK.salt,
            description="Comment edit links",
            max_age_setting="COMMENTS_EDIT_MINUTES",
        )
        backups.register_link(
            SIGN_IN_LINK.salt,
            description="Reader sign-in links",
            max_age_setting="READER_SIGN_IN_MAX_AGE",
        )
        stats.register()
