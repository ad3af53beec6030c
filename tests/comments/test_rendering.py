import datetime
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_comments.models import CommentFlag
from django_comments_xtd.models import LIKEDIT_FLAG

from comments.avatars import avatar_hue, initials
from comments.counts import recount
from comments.models import Comment
from tests.comments.support import add_comment, elements, section_of
from tests.factories import PostFactory, UserFactory
from tests.support import warm_site_identity

pytestmark = pytest.mark.django_db


def page_of(client, post) -> str:
    return client.get(post.get_absolute_url()).content.decode()


# Formatting and XSS: a Markdown subset, cleaned against an allowlist

ATTACKS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "#!markdown\n<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
]


@pytest.mark.parametrize("text", ATTACKS)
def test_markup_in_a_comment_never_reaches_the_page_as_markup(client, text):
    post = PostFactory()
    add_comment(post, text=text)
    section = section_of(page_of(client, post))
    assert "<script>alert" not in section
    assert "<img" not in section
    assert all("onerror" not in e["attrs"] for e in elements(section))
    assert all(
        not (e["attrs"].get("href") or "").lower().startswith("javascript:")
        for e in elements(section, "a")
    )


def test_raw_html_in_a_comment_shows_as_text(client):
    post = PostFactory()
    add_comment(post, text="<script>alert(1)</script> and <b>bold</b>")
    section = section_of(page_of(client, post))
    assert "&lt;script&gt;alert(1)&lt;/script&gt; and &lt;b&gt;bold&lt;/b&gt;" in section


def test_markup_in_name_and_url_is_escaped(client):
    post = PostFactory()
    add_comment(
        post, user_name='<img src=x onerror=alert(1)>"', user_url='https://x.example/"><script>'
    )
    section = section_of(page_of(client, post))
    assert "&lt;img src=x onerror=alert(1)&gt;&quot;" in section
    assert "<script>" not in section
    (link,) = [
        e for e in elements(section, "a") if e["attrs"].get("rel") == "nofollow ugc noopener"
    ]
    assert link["attrs"]["href"] == 'https://x.example/"><script>'


def test_markdown_subset_is_rendered_once_on_save_with_safe_links():
    post = PostFactory()
    comment = add_comment(
        post, text="*Yes*, **but**: [source](https://example.org/a)\n\n> quoted\n\n- one\n- `two`"
    )
    html = Comment.objects.get(pk=comment.pk).comment_html
    assert "<em>Yes</em>, <strong>but</strong>" in html
    assert '<a href="https://example.org/a" rel="nofollow ugc noopener">source</a>' in html
    assert "<blockquote>" in html and "<li><code>two</code></li>" in html


def test_javascript_links_lose_their_href_and_mailto_is_kept():
    comment = add_comment(PostFactory(), text="[x](javascript:alert(1)) [m](mailto:a@b.example)")
    assert 'href="javascript' not in comment.comment_html
    assert 'href="mailto:a@b.example"' in comment.comment_html


# Threads (acceptance: permalinks, reply, badge, avatars, dates, edited, ordering, paging)


def test_threads_nest_with_permalinks_and_reply_links(client):
    post = PostFactory()
    root = add_comment(post, text="Root")
    reply = add_comment(post, text="Reply", parent=root)
    deepest = add_comment(post, text="Deepest", parent=reply)
    section = section_of(page_of(client, post))
    assert re.search(
        rf'<li class="comment comment--level-0" id="c{root.pk}">.*'
        rf'<ol class="comment-list comment-list--replies">\s*<li class="comment comment--level-1" '
        rf'id="c{reply.pk}">.*<ol class="comment-list comment-list--replies">\s*'
        rf'<li class="comment comment--level-2" id="c{deepest.pk}">',
        section,
        re.S,
    )
    permalinks = [
        e["attrs"]["href"]
        for e in elements(section, "a")
        if "comment__permalink" in e["attrs"].get("class", "")
    ]
    assert permalinks == [f"#c{root.pk}", f"#c{reply.pk}", f"#c{deepest.pk}"]
    replies = [e for e in elements(section, "a") if "data-reply" in e["attrs"]]
    # The deepest level (COMMENTS_XTD_MAX_THREAD_LEVEL) takes no more replies.
    assert [e["attrs"]["href"] for e in replies] == [
        reverse("comments-xtd-reply", args=[root.pk]),
        reverse("comments-xtd-reply", args=[reply.pk]),
    ]
    assert replies[0]["text"] == "Reply to Zoë Reader"


def test_the_reply_page_works_without_javascript(client):
    post = PostFactory()
    root = add_comment(post, text="Root")
    page = client.get(reverse("comments-xtd-reply", args=[root.pk])).content.decode()
    assert "Reply to Zoë Reader" in page
    assert f'name="reply_to" value="{root.pk}"' in page
    assert f'action="{reverse("comments:post")}"' in page


def test_the_reply_page_hides_held_and_removed_comments(client):
    post = PostFactory()
    held = add_comment(post, text="Spam awaiting review", is_public=False)
    removed = add_comment(post, text="Removed abuse")
    Comment.objects.filter(pk=removed.pk).update(is_removed=True)
    for comment in (held, removed):
        response = client.get(reverse("comments-xtd-reply", args=[comment.pk]))
        assert response.status_code == 404
        assert "Spam" not in response.content.decode()


def test_the_reply_page_of_a_closed_post_says_so(client):
    post = PostFactory(comments_open=False)
    comment = add_comment(post)
    response = client.get(reverse("comments-xtd-reply", args=[comment.pk]))
    assert response.status_code == 403
    assert "Comments are closed" in response.content.decode()


def test_the_post_author_gets_a_badge_and_others_do_not(client):
    post = PostFactory()
    add_comment(post, text="From the writer", user=post.author, user_name="Maren Adair")
    add_comment(post, text="From a reader", user=UserFactory(), user_name="Reader")
    section = section_of(page_of(client, post))
    assert section.count('<span class="comment__badge">Author</span>') == 1
    assert re.search(r"Maren Adair</span> <span class=\"comment__badge\">Author", section)


def test_avatars_are_initials_drawn_locally():
    assert initials("Maren Adair") == "MA"
    assert initials("zoë") == "Z"
    assert initials("  ") == "?"
    assert avatar_hue("Zoë Reader") == avatar_hue("zoë reader ")


def test_avatars_make_no_request_to_another_host(client):
    post = PostFactory()
    add_comment(post)
    section = section_of(page_of(client, post))
    assert "gravatar" not in section
    assert elements(section, "img") == []
    assert '<span class="avatar avatar--' in section and ">ZR</span>" in section


def test_dates_and_the_edited_marker(client):
    post = PostFactory()
    comment = add_comment(post)
    comment.apply_edit("Edited text")
    recount(post.pk)  # as the edit view does
    section = section_of(page_of(client, post))
    (time,) = [e for e in elements(section, "time") if "T" in e["attrs"]["datetime"]]
    assert time["attrs"]["datetime"].startswith(str(timezone.localdate()))
    assert '<span class="comment__edited">edited</span>' in section


def test_held_and_removed_comments_are_not_shown_but_replies_under_a_deleted_one_are(client):
    post = PostFactory()
    add_comment(post, text="Held back", is_public=False)
    gone = add_comment(post, text="Gone")
    add_comment(post, text="Still here", parent=gone)
    # What a reader deleting their own comment does (comments.views.own): replies stay.
    Comment.objects.filter(pk=gone.pk).update(is_removed=True)
    recount(post.pk)
    section = section_of(page_of(client, post))
    assert "Held back" not in section and "Gone" not in section
    assert "Still here" in section and "This comment was deleted." in section
    assert "1 comment<" in section


def test_comment_count_on_the_post_page(client):
    post = PostFactory()
    root = add_comment(post)
    add_comment(post, parent=root)
    add_comment(post, is_public=False)
    assert '<h2 class="comments__title" id="comments-title">2 comments</h2>' in page_of(
        client, post
    )


def test_newest_first_orders_top_level_threads_but_not_replies(client):
    post = PostFactory()
    first = add_comment(post, text="First thread")
    second = add_comment(post, text="Second thread")
    add_comment(post, text="Reply A", parent=first)
    add_comment(post, text="Reply B", parent=first)
    oldest = client.get(post.get_absolute_url()).content.decode()
    newest = client.get(post.get_absolute_url() + "?order=newest").content.decode()
    assert oldest.index("First thread") < oldest.index("Second thread")
    assert (
        newest.index("Second thread")
        < newest.index("First thread")
        < newest.index("Reply A")
        < newest.index("Reply B")
    )
    assert second.pk


def test_top_level_threads_are_paged_with_a_load_more_link(client, settings):
    settings.COMMENTS_THREADS_PER_PAGE = 2
    post = PostFactory()
    threads = [add_comment(post, text=f"Thread {n}") for n in range(5)]
    add_comment(post, text="Reply on page two", parent=threads[2])
    first = section_of(page_of(client, post))
    assert "Thread 0" in first and "Thread 1" in first and "Thread 2" not in first
    (more,) = [e for e in elements(first, "a") if "data-load-more" in e["attrs"]]
    assert more["text"] == "Load more comments"
    assert more["attrs"]["href"] == "?order=oldest&cpage=2#comments"
    second = client.get(post.get_absolute_url() + "?order=oldest&cpage=2").content.decode()
    assert (
        "Thread 2" in second
        and "Reply on page two" in second
        and "Thread 0" not in section_of(second)
    )

    fragment = client.get(more["attrs"]["data-fragment"])
    assert fragment["X-Next-Page"] == "3"
    html = fragment.content.decode()
    assert html.lstrip().startswith('<li class="comment')
    assert "Thread 2" in html and "Thread 3" in html and "Thread 4" not in html
    last = client.get(reverse("comments:threads", args=[post.pk]) + "?page=3")
    assert "X-Next-Page" not in last and "Thread 4" in last.content.decode()


def test_like_counts_show_to_everyone(client):
    post = PostFactory()
    comment = add_comment(post)
    for user in UserFactory.create_batch(2):
        CommentFlag.objects.create(comment=comment, user=user, flag=LIKEDIT_FLAG)
    assert '<span class="comment__feedback">2 likes</span>' in page_of(client, post)


# Closed posts


def test_closed_post_shows_comments_are_closed_instead_of_the_form(client):
    post = PostFactory(comments_open=False)
    add_comment(post, text="Said before closing")
    page = page_of(client, post)
    assert "Comments are closed." in page
    assert "data-comment-form" not in page
    assert "Said before closing" in page
    assert "data-reply" not in page


def test_posts_close_by_themselves_after_the_configured_days(client, settings, now):
    settings.COMMENTS_CLOSE_AFTER_DAYS = 30
    old = PostFactory(publish_at=now - datetime.timedelta(days=31))
    recent = PostFactory(publish_at=now - datetime.timedelta(days=29))
    assert "Comments are closed." in page_of(client, old)
    assert "data-comment-form" in page_of(client, recent)


# Listing cards (acceptance: counts on listings in a constant number of queries)


def test_cards_show_public_comment_counts(client):
    talked_about = PostFactory(title="Talked about")
    quiet = PostFactory(title="Quiet")
    add_comment(talked_about)
    add_comment(talked_about)
    add_comment(talked_about, is_public=False)
    add_comment(quiet, is_public=False)
    html = client.get(reverse("blog:post-list")).content.decode()
    assert f'href="{talked_about.get_absolute_url()}#comments">2 comments</a>' in html
    assert f"{quiet.get_absolute_url()}#comments" not in html


def test_card_counts_cost_one_query_for_the_whole_page(client, django_assert_num_queries, settings):
    settings.PAGE_CACHE_LOCAL_SECONDS = 0  # the identity comes from the shared cache, warmed
    for post in PostFactory.create_batch(2):
        add_comment(post)
    cache.clear()
    warm_site_identity()
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("blog:post-list"))
    counting = [q for q in few.captured_queries if "comments_discussion" in q["sql"]]
    assert len(counting) == 1
    assert not any("django_comments" in q["sql"] for q in few.captured_queries)
    for post in PostFactory.create_batch(6):
        add_comment(post)
        add_comment(post)
    cache.clear()
    warm_site_identity()
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(reverse("blog:post-list"))


def test_comment_counts_tag_counts_a_list_in_one_query(django_assert_num_queries):
    from django.template import Context, Template

    posts = PostFactory.create_batch(3)
    add_comment(posts[0])
    add_comment(posts[0], is_public=False)
    template = Template(
        "{% load comments_tags %}{% comment_counts posts as counts %}"
        "{% for post in posts %}{{ counts|count_for:post }},{% endfor %}"
    )
    with django_assert_num_queries(1):
        assert template.render(Context({"posts": posts})) == "1,0,0,"


def test_an_open_post_says_when_its_comments_close(client, settings, yesterday):
    settings.COMMENTS_CLOSE_AFTER_DAYS = 30
    post = PostFactory(publish_at=yesterday)
    closing = timezone.localtime(post.publish_at + datetime.timedelta(days=30))
    assert f'Comments close on <time datetime="{closing:%Y-%m-%d}">' in page_of(client, post)
