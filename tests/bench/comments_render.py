"""Render time of a post's comment section: 100 comments in threads of depth 3.

Prints the median of 20 in-process renders of our comment section (the `comment_section`
tag, SQL included) next to django-comments-xtd's stock recursive tree for the same comments,
and writes the figures to var/bench/comments.txt. Target: under 8 ms.

Runs on its own in-memory SQLite database: `python -m tests.bench.comments_render`
(`make bench` runs every benchmark).
"""

import os
import platform
import statistics
import sys
import time
from pathlib import Path

RUNS = 20
TARGET_MS = 8.0


def setup_django() -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    os.environ["DATABASE_URL"] = "sqlite://:memory:"
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def make_discussion():
    """A post with 25 threads of 4 comments (levels 0, 1, 2, 1): 100 comments, half by users."""
    from django.contrib.auth import get_user_model
    from django.contrib.contenttypes.models import ContentType
    from django.utils import timezone

    from blog.models import Post
    from comments.models import Comment

    User = get_user_model()
    author = User.objects.create_user("author", "author@example.org", first_name="Maren")
    readers = [
        User.objects.create_user(f"reader{n}", f"reader{n}@example.org", first_name=f"Reader {n}")
        for n in range(10)
    ]
    post = Post.objects.create(
        title="On the city’s budget",
        slug="budget",
        body="The council met on Tuesday.",
        author=author,
        status=Post.Status.PUBLISHED,
        publish_at=timezone.now(),
    )
    base = {
        "content_type": ContentType.objects.get_for_model(Post),
        "object_pk": str(post.pk),
        "site_id": 1,
        "is_public": True,
    }
    text = "I *agree* with most of it, but [the figures](https://example.org) say otherwise."
    count = 0

    def add(parent=None, n=0):
        nonlocal count
        count += 1
        user = readers[n % len(readers)] if count % 2 else None
        return Comment.objects.create(
            **base,
            user=user,
            user_name=user.first_name if user else f"Guest {count}",
            user_email=user.email if user else f"guest{count}@example.org",
            comment=text,
            parent_id=parent.pk if parent else 0,
        )

    for n in range(25):
        root = add(n=n)
        first = add(root, n)
        add(first, n)
        add(root, n)
    assert Comment.objects.count() == 100
    return post


def median_ms(render) -> tuple[float, list[float]]:
    render()  # warm template and content-type caches
    timings = []
    for _ in range(RUNS):
        start = time.perf_counter()
        render()
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings), timings


def main() -> int:
    setup_django()
    from django.conf import settings
    from django.contrib.auth.models import AnonymousUser
    from django.template import Context, Template
    from django.test import RequestFactory

    post = make_discussion()
    settings.COMMENTS_THREADS_PER_PAGE = 25  # every thread on one page, as xtd renders them
    request = RequestFactory().get(post.get_absolute_url())
    ours = Template("{% load comments_tags %}{% comment_section post %}")
    stock = Template("{% load comments_xtd %}{% render_xtdcomment_tree for post %}")

    def render_ours():
        request._comment_stats = None
        html = ours.render(Context({"post": post, "request": request}))
        assert html.count('class="comment comment--level-') == 100
        return html

    def render_stock():
        return stock.render(Context({"post": post, "request": request, "user": AnonymousUser()}))

    ours_ms, ours_runs = median_ms(render_ours)
    stock_ms, _ = median_ms(render_stock)
    lines = [
        "Comment section render, 100 comments in 25 threads of depth 3 (in-process, SQL included)",
        f"  ours (comments/section.html):       median {ours_ms:6.2f} ms  "
        f"(min {min(ours_runs):.2f}, max {max(ours_runs):.2f}, {RUNS} runs)",
        f"  django-comments-xtd stock tree:     median {stock_ms:6.2f} ms",
        f"  target: under {TARGET_MS:.0f} ms → {'met' if ours_ms < TARGET_MS else 'NOT met'}",
        f"  Python {platform.python_version()}, {platform.machine()}, SQLite in memory",
    ]
    report = "\n".join(lines) + "\n"
    out = Path(settings.BASE_DIR) / "var" / "bench" / "comments.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report, encoding="utf-8")
    sys.stdout.write(report + f"Written to {out}\n")
    return 0 if ours_ms < TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
