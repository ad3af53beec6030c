"""Signal receivers tying django-comments-xtd's flow to ours (connected in apps.py ready())."""

import datetime
from functools import partial
from urllib.parse import urlsplit

from django.apps import apps as global_apps
from django.conf import settings
from django.contrib.sites.models import Site
from django.contrib.sites.shortcuts import get_current_site
from django.db import transaction
from django.utils import timezone
from django_comments_xtd import views as xtd_views
from django_comments_xtd.models import DISLIKEDIT_FLAG, LIKEDIT_FLAG, TmpXtdComment
from django_comments_xtd.signals import confirmation_received

from comments import counts, links, notifications, throttle
from comments.models import Comment
from core.pagecache import refresh_public_pages
from core.ratelimit import client_ip
from core.transfer import appliers


def sync_site(sender, using="default", **kwargs):
    """Site 1 is this site: xtd builds permalinks and mail from its domain and name."""
    Site.objects.using(using).update_or_create(
        pk=settings.SITE_ID,
        defaults={"domain": urlsplit(settings.SITE_URL).netloc, "name": settings.SITE_NAME},
    )
    # Warm Site's process cache: feeds and sitemaps then never spend a query on it.
    Site.objects.clear_cache()
    Site.objects.db_manager(using).get_current()


def record_client_ip(sender, comment, request, **kwargs):
    """The client's address as our proxy saw it, not the proxy's (TRUST_X_FORWARDED_FOR)."""
    comment.ip_address = client_ip(request) or None


def comment_posted(sender, comment, request, **kwargs):
    """Replaces xtd's `on_comment_was_posted`: the same flow, with our signed JSON link.

    A signed-in reader's comment is stored at once; anyone else gets the confirmation mail.
    """
    user = comment.user
    if user is not None and user.is_authenticated:
        if links.existing_comment(comment) is None:
            stored = xtd_views._create_comment(comment)
            comment.xtd_comment = stored
            confirmation_received.send(sender=TmpXtdComment, comment=comment, request=request)
            notifications.notify_followers(stored)
        return
    links.send_confirmation_request(comment, site=get_current_site(request))


def refuse_expired_confirmation(sender, comment, request, **kwargs):
    """xtd's confirmation links never expire; ours do after COMMENTS_CONFIRMATION_MAX_AGE_DAYS.

    Returning False makes xtd discard the comment and render `discarded.html`.
    """
    max_age = datetime.timedelta(days=settings.COMMENTS_CONFIRMATION_MAX_AGE_DAYS)
    if comment.submit_date < timezone.now() - max_age:
        return False
    throttle.forget_confirmation(comment.user_email)
    return True


def comment_saved(sender, instance, created, raw=False, **kwargs):
    """A new or changed comment: refresh the pages that show it; tell whoever should hear."""
    if raw:
        return
    if not instance.card_html:  # a new comment: its card needs the id it has only now
        instance.store_card()
    # xtd saves a new comment twice, the second time with its place in a thread: counting it
    # (and storing its thread's first page, card included) once it has that place is enough.
    if instance.thread_id:
        counts.recount(instance.post_pk)
    refresh_public_pages()
    if created and not appliers.is_importing():  # imported: nobody is told again
        notifications.notify_post_author(instance)
        notifications.send_newsletter_consent(instance)


def post_saved(sender, instance, raw=False, **kwargs):
    """A post's address, publication and open or closed discussion are in its stored comment
    section: once the save commits, store it again (a new post gets its first one)."""
    if not raw:
        transaction.on_commit(partial(counts.recount, instance.pk), robust=True)


def comment_deleted(sender, instance, **kwargs):
    """A comment deleted in the admin leaves the pages that showed it, and its post's count."""
    counts.recount(instance.post_pk)
    refresh_public_pages()


def feedback_changed(sender, instance, raw=False, **kwargs):
    """Like and dislike counts show on cached public pages: recount, then refresh them."""
    if raw:
        return
    if instance.flag in (LIKEDIT_FLAG, DISLIKEDIT_FLAG):
        Comment.recount_feedback(instance.comment_id)
        counts.recount_comments([instance.comment_id])  # the stored section shows them
    refresh_public_pages()


def store_outdated_sections(sender, using, apps=global_apps, **kwargs):
    """After `migrate`: sections an older release stored are stored again, in the worker (the
    static files they name are collected after the migration)."""
    from comments import tasks

    try:
        discussions = apps.get_model("comments", "Discussion")
    except LookupError:  # migrated back to before there were stored sections
        return
    if discussions.objects.using(using).exists():  # a new database gets no task for nothing
        # Robust: a queue that is down is logged, not a failed `migrate` (the hourly job
        # stores them too).
        transaction.on_commit(tasks.store_outdated_sections.enqueue, using=using, robust=True)
