"""Content for the serving benchmark, run inside a throwaway site (`manage.py shell -c`).

`fixture()` goes through the real code paths (`Post.save`, `Comment.save`): 10 published
posts, among them the OpEd with 100 comments in 25 threads of depth 3 that every headline
figure is measured on, and a post with 10 comments. `large()` then adds, in bulk, 1,000
posts (one of them with 10,000 comments), 50,000 comments and 20,000 subscribers: each
comment's three rows (django-contrib-comments, django-comments-xtd, ours) are inserted
table by table with the tree fields xtd's `save()` would have computed, and with the same
`comment_html`, `card_html` and thread keys that `Comment.save()` stores (then each post's
stored counts, as its save receiver does). Both print one JSON line.

    manage.py shell -c "from tests.bench.seed import fixture; fixture()"
"""

import datetime
import json
import sys

THREAD_SHAPE = ((None, 0), (0, 1), (1, 2), (0, 1))  # (parent index in thread, level)
SENTINEL_PK = 987_654_321
NAMES = ["Zoë Adler", "José Ruiz", "Łukasz Nowak", "Amara Okafor", "Mei Chen", "Guest"]
TEXTS = [
    "I *agree* with most of it, but [the figures](https://example.org) say otherwise.",
    "Not so fast — read the appendix first.",
    "The appendix says “later”… which is the problem.",
    "Fair point, and the council minutes back it up.",
]
OPED_BODY = (
    "The council met on Tuesday and voted for *Buses First*.\n\n"
    + "The budget moves money from parking to routes that run every ten minutes. " * 12
    + "\n\nWhat it does not say is who pays when the numbers do not add up."
)


def _emit(data: dict) -> None:
    sys.stdout.write(json.dumps(data) + "\n")


def fixture() -> None:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from blog.feeds import FEED_LENGTH
    from blog.models import Post, Tag

    now = timezone.now()
    author = get_user_model().objects.create_user(
        "author", "author@example.org", first_name="Maren", last_name="Holt"
    )
    tags = [
        Tag.objects.create(name=name, slug=name.lower())
        for name in ("Transport", "Budget", "Housing")
    ]
    posts = []
    # As many posts as the longest listing (the feed) shows: every listing is full before the
    # large data set is added, so its growth measures the data, not a listing filling up.
    for n in range(FEED_LENGTH):
        post = Post.objects.create(
            title=f"On the city’s budget, part {n + 1}" if n else "On the city’s budget",
            slug="budget" if n == 0 else f"budget-{n + 1}",
            standfirst="Buses first, budgets second.",
            body=OPED_BODY,
            author=author,
            status=Post.Status.PUBLISHED,
            publish_at=now - datetime.timedelta(days=n + 1),
        )
        post.tags.set(tags[: 1 + n % 3])
        posts.append(post)
    oped, small = posts[0], posts[1]
    _discussion(oped, threads=25)
    _discussion(small, threads=3, extra=True)  # 3 threads of 4, less two: 10 comments
    _emit(
        {
            "oped": oped.get_absolute_url(),
            "oped_pk": oped.pk,
            "small": small.get_absolute_url(),
            "small_pk": small.pk,
            "tag": tags[0].slug,
        }
    )


def _discussion(post, *, threads: int, extra: bool = False) -> None:
    """`threads` threads of 4 comments (levels 0, 1, 2, 1) saved one by one, as readers do."""
    from django.contrib.contenttypes.models import ContentType

    from comments.models import Comment

    base = {
        "content_type": ContentType.objects.get_for_model(post),
        "object_pk": str(post.pk),
        "site_id": 1,
        "is_public": True,
    }
    count = 0
    for n in range(threads):
        made = []
        for parent, _level in THREAD_SHAPE:
            if extra and n == threads - 1 and len(made) == 2:
                break  # the last thread keeps two comments: 10 in all
            count += 1
            made.append(
                Comment.objects.create(
                    **base,
                    user_name=NAMES[count % len(NAMES)],
                    user_email=f"reader{count}@example.org",
                    comment=TEXTS[len(made)],
                    parent_id=made[parent].pk if parent is not None else 0,
                )
            )


def large() -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from blog.articles import store_outdated_articles
    from blog.models import Post, Tag
    from core.markup import render_post_body
    from core.pagecache import refresh_public_pages
    from core.tasks import refresh_query_statistics
    from newsletter.models import Subscriber

    now = timezone.now()
    author = get_user_model().objects.get(username="author")
    tags = list(Tag.objects.order_by("pk"))
    body_html = render_post_body(OPED_BODY)
    with transaction.atomic():
        posts = Post.objects.bulk_create(
            [
                Post(
                    title=f"From the archive, number {n}",
                    slug=f"archive-{n}",
                    standfirst="An older piece, kept for the record.",
                    body=OPED_BODY,
                    body_html=body_html,
                    reading_minutes=1,
                    author=author,
                    status=Post.Status.PUBLISHED,
                    publish_at=now - datetime.timedelta(days=20, hours=n * 7),
                )
                for n in range(1000)
            ],
            batch_size=500,
        )
        through = Post.tags.through
        through.objects.bulk_create(
            [
                through(post_id=post.pk, tag_id=tags[n % len(tags)].pk)
                for n, post in enumerate(posts)
            ],
            batch_size=2000,
        )
        long_post, others = posts[0], posts[1:]
        plan = [(long_post, 2500)] + [(post, 10) for post in others] + [(others[0], 10)]
        inserted = _bulk_comments(plan, when=now - datetime.timedelta(days=2))
        common = {"confirmed_at": now, "consent_text": "Weekly email.", "signup_source": "Seed"}
        Subscriber.objects.bulk_create(
            [
                Subscriber(email=f"subscriber{n}@example.org", status="active", **common)
                for n in range(20_000)
            ],
            batch_size=2000,
        )
        refresh_public_pages()
    store_outdated_articles()  # what the hourly job does for posts written in bulk
    refresh_query_statistics()  # what migrate and the daily job do on SQLite
    if connection.vendor == "postgresql":  # what autovacuum soon does after a bulk load
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    _emit(
        {
            "long": long_post.get_absolute_url(),
            "long_pk": long_post.pk,
            "posts_added": len(posts),
            "comments_added": inserted,
            "engine": connection.vendor,
        }
    )


def _bulk_comments(plan, *, when) -> int:
    """Insert 4-comment threads for each (post, thread count) of `plan`; returns the count."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import connection
    from django.template.loader import render_to_string
    from django_comments.models import Comment as BaseComment
    from django_comments_xtd.models import XtdComment

    from blog.models import Post
    from comments.counts import recount
    from comments.markup import render_comment
    from comments.models import Comment

    post_type = ContentType.objects.get_for_model(Post)
    html = [render_comment(text) for text in TEXTS]
    cards = {}
    for name in NAMES:
        for index, text_html in enumerate(html):
            proto = Comment(pk=SENTINEL_PK, user_name=name, submit_date=when, published_at=when)
            proto.comment_html = text_html
            cards[name, index] = render_to_string(
                "comments/includes/card.html", {"comment": proto, "is_author": False}
            )

    rows = []  # (base comment, post, name, position in thread)
    for post, threads in plan:
        for _ in range(threads * len(THREAD_SHAPE)):
            position = len(rows) % len(THREAD_SHAPE)
            name = NAMES[len(rows) % len(NAMES)]
            rows.append(
                (
                    BaseComment(
                        content_type=post_type,
                        object_pk=str(post.pk),
                        site_id=1,
                        user_name=name,
                        user_email=f"reader{len(rows) % 997}@example.org",
                        comment=TEXTS[position],
                        submit_date=when,
                        is_public=True,
                        is_removed=False,
                    ),
                    position,
                    name,
                )
            )
    BaseComment.objects.bulk_create([row[0] for row in rows], batch_size=2000)

    xtd_rows, our_rows = [], []
    thread = []
    for base, position, name in rows:
        if position == 0:
            thread = []
        thread.append(base.pk)
        parent, level = THREAD_SHAPE[position]
        root = thread[0]
        nested = {0: 3, 1: 1}.get(position, 0)
        xtd_rows.append(
            XtdComment(
                comment_ptr_id=base.pk,
                thread_id=root,
                parent_id=thread[parent] if parent is not None else base.pk,
                level=level,
                order=position + 1,
                followup=False,
                nested_count=nested,
            )
        )
        our_rows.append(
            Comment(
                xtdcomment_ptr_id=base.pk,
                comment_html=html[position],
                card_html=cards[name, position].replace(str(SENTINEL_PK), str(base.pk)),
                like_count=0,
                dislike_count=0,
                published_at=when,
                newsletter_optin=False,
                post_pk=int(base.object_pk),
                starts_thread=position == 0,
            )
        )
    _insert_local_rows(connection, XtdComment, xtd_rows)
    _insert_local_rows(connection, Comment, our_rows)
    recount(*{post.pk for post, _ in plan})  # what Comment's save receiver does one by one
    return len(rows)


def _insert_local_rows(connection, model, objects, batch: int = 1000) -> None:
    """INSERT the columns `model` itself declares (one table of a multi-table model)."""
    fields = model._meta.local_concrete_fields
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({marks})"
    with connection.cursor() as cursor:
        for start in range(0, len(objects), batch):
            cursor.executemany(
                sql,
                [
                    [
                        field.get_db_prep_save(getattr(obj, field.attname), connection)
                        for field in fields
                    ]
                    for obj in objects[start : start + batch]
                ],
            )
