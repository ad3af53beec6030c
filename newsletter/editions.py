"""An edition before the delivery engine takes over: compose, test, schedule, start, announce.

Composing: the author should only have to reorder, cut and write the intro, so the weekly
draft arrives pre-ranked: featured posts first, then the posts readers discussed most (public
comments), then the newest. Posts come from `Post.objects.published()` only, so a draft or a
post scheduled for later can never reach a subscriber's inbox through the composer.

Starting: `freeze_recipients` inserts one `Delivery` row per recipient with
`bulk_create(ignore_conflicts=True)` under the unique (edition, subscriber) constraint, renders
the body once, and moves the edition to `sending`, all in one transaction on the locked edition
row. Freezing twice adds nobody. From there on, newsletter/delivery.py sends.

Nothing here enqueues a task: the tasks (newsletter/tasks.py) run this module's functions, so
the worker is woken by whoever called us (`tasks.send_now`, `tasks.send_later`).
"""

import datetime
import logging

from django.conf import settings
from django.core.mail import mailers
from django.db import IntegrityError, transaction
from django.db.models import BigIntegerField
from django.db.models.functions import Cast
from django.utils import dateformat, timezone

from blog.models import Post
from comments.counts import with_public_comment_count
from core import checklist, identity
from core.models import ImportRecord
from core.pagecache import refresh_public_pages
from newsletter import rendering
from newsletter.models import Delivery, Edition, EditionHeadline, EditionItem, Headline, Subscriber

logger = logging.getLogger(__name__)

FREEZE_CHUNK = 1000

WEEK = datetime.timedelta(days=7)


def ranked_posts_of_the_week(*, now: datetime.datetime):
    """Published posts of the last 7 days: featured, then most discussed, then newest."""
    return with_public_comment_count(
        Post.objects.published(now=now).filter(publish_at__gt=now - WEEK)
    ).order_by("-featured", "-public_comment_count", "-publish_at", "-pk")


def headlines_of_the_week(*, now: datetime.datetime):
    """Approved headlines of the last 7 days not already carried by an edition that went out."""
    already_sent = EditionHeadline.objects.filter(
        edition__status__in=[Edition.Status.SENDING, Edition.Status.SENT]
    ).values("headline_id")
    return (
        Headline.objects.approved()
        .published_between(now - WEEK, now)
        .exclude(pk__in=already_sent)
        .order_by("-published_at", "-pk")
    )


def default_subject(*, now: datetime.datetime) -> str:
    day = dateformat.format(timezone.localtime(now), "j F Y")
    return f"The week in {identity.current().site_name} — {day}"


@transaction.atomic
def compose_weekly_edition(*, now: datetime.datetime) -> Edition:
    """A draft edition pre-filled with this week's posts and headlines, ready to edit."""
    posts = list(ranked_posts_of_the_week(now=now))
    headlines = list(headlines_of_the_week(now=now))
    if posts:
        more = f", and {len(posts) - 1} more" if len(posts) > 1 else ""
        preheader = f"{posts[0].title}{more}"
    else:
        preheader = "The major news headlines of the week"
    if headlines:
        preheader += f" · {len(headlines)} headline{'s' if len(headlines) != 1 else ''}"
    edition = Edition.objects.create(subject=default_subject(now=now), preheader=preheader[:150])
    EditionItem.objects.bulk_create(
        EditionItem(edition=edition, post=post, position=index)
        for index, post in enumerate(posts, start=1)
    )
    EditionHeadline.objects.bulk_create(
        EditionHeadline(edition=edition, headline=headline, position=index)
        for index, headline in enumerate(headlines, start=1)
    )
    return edition


def open_weekly_draft(*, now: datetime.datetime) -> Edition | None:
    """The weekly draft composed in the last 7 days and not yet scheduled or sent, if any."""
    return (
        Edition.objects.filter(
            kind=Edition.Kind.WEEKLY, status=Edition.Status.DRAFT, created_at__gt=now - WEEK
        )
        .order_by("-created_at", "-pk")
        .first()
    )


def weekly_draft(*, now: datetime.datetime) -> tuple[Edition, bool]:
    """This week's open draft, reused as the author left it, or a new one: (edition, created).

    Composing twice in a week (the command in cron and the admin button, or a second run)
    must not leave two identical drafts for the author to tell apart and one to send twice.
    """
    with transaction.atomic():
        existing = open_weekly_draft(now=now)
        if existing is not None:
            return existing, False
        return compose_weekly_edition(now=now), True


def send_test(*, edition: Edition, to: str) -> None:
    """ "Send a test to me": the exact message, marked [Test], through the bulk mailer.

    The recipient is a stand-in subscriber that is never saved, so its unsubscribe link
    leads to a "link not valid" page instead of touching a real subscription. No delivery
    row is written: a test is not part of the send.
    """
    stand_in = Subscriber(email=to, status=Subscriber.Status.ACTIVE)
    message = rendering.edition_message(
        edition=edition, subscriber=stand_in, content=rendering.stored_content(edition), test=True
    )
    with mailers["bulk"] as mail_server:
        mail_server.send_messages([message])


# Starting


class NotReady(Exception):
    """The edition cannot go out as it is; the message says what to fix."""


class SenderNotReady(NotReady):
    """The site's checklist still misses what mail to subscribers needs (sender, postal address).

    `items` are the `core.checklist` items to fill in, each with the admin page that does it.
    """

    def __init__(self, items):
        self.items = list(items)
        labels = " and ".join(
            filter(
                None,
                [", ".join(i.label.lower() for i in self.items[:-1]), self.items[-1].label.lower()],
            )
        )
        super().__init__(
            f"Nothing goes to subscribers until the site says who sends it. Fill in the {labels} "
            "first (Site › Site identity); a test to yourself works already."
        )


def check_sender() -> None:
    """Refuse while a `needed_before_sending` checklist item (sender, postal address) is missing."""
    if missing := checklist.missing(before_sending=True):
        raise SenderNotReady(missing)


def check_ready(edition: Edition, *, now: datetime.datetime) -> None:
    """Refuse an empty edition, one that would link to a post readers cannot see yet, or any
    edition while the site has no sender or postal address (`check_sender`)."""
    check_sender()
    if not edition.items.exists() and not edition.headline_links.exists():
        raise NotReady("The edition has no posts and no headlines.")
    unpublished = edition.items.exclude(post__in=Post.objects.published(now=now))
    titles = list(unpublished.values_list("post__title", flat=True))
    if titles:
        raise NotReady(
            "These posts are not published yet, so their links would not work: "
            + "; ".join(f"“{title}”" for title in titles)
        )


@transaction.atomic
def freeze_recipients(*, edition: Edition, now: datetime.datetime) -> int:
    """Fix the recipient list and the body, and start sending; 0 if it was already done.

    Returns the number of recipients. Safe to call any number of times, from any number of
    processes: the edition row is locked, the status is checked, and the unique constraint
    keeps one delivery per subscriber even if two freezes raced.
    """
    locked = Edition.objects.select_for_update().get(pk=edition.pk)
    if not locked.is_editable:
        edition.refresh_from_db()
        return 0
    check_ready(locked, now=now)
    content = rendering.render_content(locked)
    subscribers = Subscriber.objects.receiving(locked).order_by("pk")
    last_pk = 0
    while ids := list(
        subscribers.filter(pk__gt=last_pk).values_list("pk", flat=True)[:FREEZE_CHUNK]
    ):
        Delivery.objects.bulk_create(
            [Delivery(edition=locked, subscriber_id=pk, available_at=now) for pk in ids],
            ignore_conflicts=True,
        )
        last_pk = ids[-1]
    recipients = Delivery.objects.filter(edition=locked).count()
    Edition.objects.filter(pk=locked.pk).update(
        status=Edition.Status.SENDING,
        frozen_at=now,
        content_html=content.html,
        content_text=content.text,
        recipients_count=recipients,
        updated_at=now,
    )
    transaction.on_commit(refresh_public_pages)
    edition.refresh_from_db()
    return recipients


def start_if_due(*, edition: Edition, now: datetime.datetime) -> bool:
    """Freeze a scheduled edition whose time has come; a failure returns it to draft."""
    if edition.status != Edition.Status.SCHEDULED or edition.send_at > now:
        return edition.status == Edition.Status.SENDING
    try:
        freeze_recipients(edition=edition, now=now)
    except NotReady as err:
        Edition.objects.filter(pk=edition.pk, status=Edition.Status.SCHEDULED).update(
            status=Edition.Status.DRAFT,
            last_error=f"Not sent at the scheduled time: {err}"[:500],
            last_error_at=now,
        )
        logger.warning("Scheduled edition %s not sent: %s", edition.pk, err)
        edition.refresh_from_db()
        return False
    return True


# Scheduling


@transaction.atomic
def schedule(*, edition: Edition, send_at: datetime.datetime, now: datetime.datetime) -> None:
    """Mark the edition to go out at `send_at` (`tasks.send_later` also wakes the worker then)."""
    locked = Edition.objects.select_for_update().get(pk=edition.pk)
    if not locked.is_editable:
        raise NotReady("This edition is already being sent or was sent.")
    if send_at <= now:
        raise NotReady("Choose a time in the future, or send it now.")
    check_sender()
    if not locked.items.exists() and not locked.headline_links.exists():
        raise NotReady("The edition has no posts and no headlines.")
    Edition.objects.filter(pk=locked.pk).update(
        status=Edition.Status.SCHEDULED, send_at=send_at, last_error="", updated_at=now
    )
    edition.refresh_from_db()


@transaction.atomic
def unschedule(*, edition: Edition, now: datetime.datetime) -> bool:
    """Back to draft, unless the worker already started."""
    updated = Edition.objects.filter(pk=edition.pk, status=Edition.Status.SCHEDULED).update(
        status=Edition.Status.DRAFT, send_at=None, updated_at=now
    )
    edition.refresh_from_db()
    return bool(updated)


# Every-post emails


def due_posts(*, now: datetime.datetime):
    """Posts that went live recently and were never announced (the safety net's worklist).

    Demo posts are never news: subscribers do not get the fictional author's posts. Nor are
    posts moved in from another platform (issue 14): their readers saw them there.
    """
    window = datetime.timedelta(hours=settings.NEWSLETTER_POST_EMAIL_MAX_AGE_HOURS)
    announced = Edition.objects.filter(kind=Edition.Kind.POST).values("post_id")
    imported = (
        ImportRecord.objects.filter(content_type__app_label="blog", content_type__model="post")
        .annotate(post_id=Cast("object_id", BigIntegerField()))
        .values("post_id")
    )
    return (
        Post.objects.published(now=now)
        .filter(publish_at__gte=now - window, is_demo=False)
        .exclude(pk__in=announced)
        .exclude(pk__in=imported)
    )


def announce_post(*, post_id: int, now: datetime.datetime) -> Edition | None:
    """The every-post email for a post whose time has come, created at most once.

    Nothing for a draft, a post still scheduled, a post unpublished before its time, or one
    published long ago (an edit of an old post is not news); nothing a second time, ever: the
    database refuses a second "post" edition for the same post.
    """
    post = due_posts(now=now).filter(pk=post_id).first()
    if post is None:
        return None
    try:
        check_sender()
    except SenderNotReady as err:
        # Kept due: announced once the writer fills in the sender within the window.
        logger.info("Post %s not announced yet: %s", post_id, err)
        return None
    try:
        with transaction.atomic():
            edition = Edition.objects.create(
                kind=Edition.Kind.POST,
                post=post,
                subject=post.title,
                preheader=post.description[:150],
            )
            EditionItem.objects.create(edition=edition, post=post, position=1)
            freeze_recipients(edition=edition, now=now)
    except IntegrityError:  # announced by another worker a moment ago
        return None
    return edition


def start_due(*, now: datetime.datetime) -> list[Edition]:
    """Start what is due: scheduled editions and new posts' emails; return all sending ones."""
    for edition in Edition.objects.due(now=now):
        start_if_due(edition=edition, now=now)
    for post_id in due_posts(now=now).values_list("pk", flat=True):
        announce_post(post_id=post_id, now=now)
    return list(Edition.objects.sending().order_by("pk"))
