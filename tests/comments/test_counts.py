"""Stored comment counts and first pages (comments.counts): every path that changes a comment
keeps them right.

Each test changes comments the way the site does (the views, the admin, the receivers) and
then compares the stored numbers with the comment rows counted afresh, and the stored first
page of threads with one built afresh from the rows.
"""

import email
import email.policy
import re
import time
from io import StringIO
from unittest import mock
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.db.models import Q
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django_comments.models import CommentFlag

from comments import counts, review, sections, threads
from comments.counts import post_stats, with_public_comment_count
from comments.forms import CommentForm
from comments.models import Comment, Discussion
from comments.moderation import comments_are_open
from core import periodic
from tests.comments.support import ORIGIN, add_comment, link_in, post_comment
from tests.factories import PostFactory, StaffFactory, UserFactory
from tests.support import without_clock

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:comments_comment_changelist")


def stored(post) -> tuple[int, int]:
    return post_stats([post])[post.pk]


def counted(post) -> tuple[int, int]:
    """(public comments, threads) counted from the rows, without comments.counts."""
    rows = Comment.objects.for_object(post)
    return (
        rows.filter(is_public=True, is_removed=False).count(),
        rows.filter(Q(is_public=True) & Q(level=0)).count(),
    )


def built_section(post) -> str:
    """A signed-out reader's comment section, rendered from the rows now, as it is stored."""
    context = sections.section_context(post, page=threads.load_threads(post))
    return render_to_string(
        f"{sections.TEMPLATE}#section",
        context | {"security_mark": mark_safe(sections.SECURITY_MARK)},
    )


def assert_first_page_stored(post) -> None:
    row = Discussion.objects.get(post=post)
    is_open = comments_are_open(post)
    assert row.first_page_key == sections.section_key(post, is_open=is_open)
    assert row.first_page_html == built_section(post)


def assert_counts(post, comments: int, threads: int) -> None:
    assert counted(post) == (comments, threads), "the scenario itself went wrong"
    assert stored(post) == (comments, threads)
    if Discussion.objects.filter(post=post).exists():
        assert_first_page_stored(post)


@pytest.fixture
def post():
    return PostFactory(title="Ferries before flyovers")


def test_adding_and_replying_counts_comments_and_threads(post):
    assert_counts(post, 0, 0)
    root = add_comment(post)
    add_comment(post, parent=root)
    add_comment(post, is_public=False)  # held
    assert_counts(post, 2, 1)


def test_a_signed_in_reader_posting_through_the_form_counts_at_once(client, post):
    client.force_login(UserFactory())
    assert post_comment(client, post).status_code == 302
    assert_counts(post, 1, 1)


def test_an_anonymous_comment_counts_once_its_link_is_followed(client, post):
    post_comment(client, post)
    assert_counts(post, 0, 0)
    message = email.message_from_bytes(
        mail.outbox[-1].message().as_bytes(), policy=email.policy.default
    )
    link = urlsplit(link_in(message, "/comments/confirm/")).path
    client.post(link, headers=ORIGIN)
    assert_counts(post, 1, 1)


def test_approving_removing_and_restoring_keep_the_count(post):
    moderator = StaffFactory()
    held = add_comment(post, is_public=False)
    assert_counts(post, 0, 0)
    review.approve_comment(comment=held, moderator=moderator)
    assert_counts(post, 1, 1)
    review.remove_comment(comment=held, moderator=moderator)
    assert_counts(post, 0, 1)  # a removed first comment stays a thread (its placeholder)
    review.approve_comment(comment=held, moderator=moderator)
    assert_counts(post, 1, 1)


def test_the_admins_bulk_actions_and_delete_keep_the_count(author_client, post):
    comments = [add_comment(post, text=f"Comment {n}") for n in range(4)]
    held = add_comment(post, is_public=False)

    def act(action, chosen):
        author_client.post(
            CHANGELIST, {"action": action, "_selected_action": [c.pk for c in chosen]}, follow=True
        )

    act("approve", [held])
    assert_counts(post, 5, 5)
    act("remove", comments[:2])
    assert_counts(post, 3, 5)
    act("mark_spam", comments[2:3])
    assert_counts(post, 2, 5)
    author_client.post(
        CHANGELIST,
        {"action": "delete_selected", "_selected_action": [comments[3].pk], "post": "yes"},
    )
    assert_counts(post, 1, 4)


def test_unticking_is_public_on_the_admins_change_page_keeps_the_count(author_client, post):
    comment = add_comment(post)
    url = reverse("admin:comments_comment_change", args=[comment.pk])
    form = author_client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(user="")
    data.pop("is_public")
    data.pop("is_removed", None)
    assert author_client.post(url, data).status_code == 302
    assert_counts(post, 0, 0)


def test_flags_that_hide_a_comment_take_it_and_its_replies_off_the_count(post, settings):
    settings.COMMENTS_HIDE_AFTER_FLAGS = 2
    comment = add_comment(post)
    add_comment(post, parent=comment)
    add_comment(post)
    for reader in (UserFactory(), UserFactory()):
        CommentFlag.objects.create(comment=comment, user=reader, flag=CommentFlag.SUGGEST_REMOVAL)
    assert_counts(post, 1, 1)


def test_a_readers_own_delete_leaves_a_placeholder_thread(client, post):
    reader = UserFactory()
    mine = add_comment(post, user=reader)
    add_comment(post, parent=mine)
    client.force_login(reader)
    client.post(reverse("comments:edit", args=[mine.pk]), {"comment": "Edited"})
    assert_counts(post, 2, 1)
    client.post(reverse("comments:delete", args=[mine.pk]))
    assert_counts(post, 1, 1)


def test_deleting_a_comment_row_keeps_the_count(post):
    first = add_comment(post)
    add_comment(post)
    first.delete()
    assert_counts(post, 1, 1)


def test_deleting_a_post_deletes_its_numbers(post):
    add_comment(post)
    post.delete()
    assert not Discussion.objects.exists()


def test_listings_read_the_stored_count(post):
    add_comment(post)
    add_comment(post)
    annotated = with_public_comment_count(type(post).objects.filter(pk=post.pk)).get()
    assert annotated.public_comment_count == 2
    quiet = PostFactory()
    assert (
        with_public_comment_count(type(post).objects.filter(pk=quiet.pk)).get().public_comment_count
        == 0
    )


def test_repair_puts_a_corrupted_count_right_and_says_so_once(post):
    add_comment(post)
    add_comment(post)
    other = PostFactory()
    add_comment(other)
    Discussion.objects.filter(post=post).update(comment_count=7, thread_count=0)
    Discussion.objects.filter(post=other).delete()

    out = StringIO()
    call_command("repair_comment_counts", stdout=out)
    report = out.getvalue()
    assert f"“{post.title}” (post {post.pk}): 7 comments in 0 threads, now 2 in 2." in report
    assert f"(post {other.pk}): 0 comments in 0 threads, now 1 in 1." in report
    assert "2 post(s) repaired." in report
    assert_counts(post, 2, 2)
    assert_counts(other, 1, 1)

    again = StringIO()
    call_command("repair_comment_counts", stdout=again)
    assert again.getvalue().strip() == "Every post's comment count is right."


def test_likes_and_dislikes_are_on_the_stored_first_page(client, post):
    comment = add_comment(post)
    client.force_login(UserFactory())
    client.post(reverse("comments-xtd-like", args=[comment.pk]), headers=ORIGIN)
    assert "1 like</span>" in Discussion.objects.get(post=post).first_page_html
    assert_first_page_stored(post)
    client.post(reverse("comments-xtd-like", args=[comment.pk]), headers=ORIGIN)  # taken back
    assert "like</span>" not in Discussion.objects.get(post=post).first_page_html
    assert_first_page_stored(post)


def test_an_edit_is_on_the_stored_first_page(client, post):
    reader = UserFactory()
    mine = add_comment(post, user=reader, text="Buses first.")
    client.force_login(reader)
    client.post(reverse("comments:edit", args=[mine.pk]), {"comment": "Ferries *first*."})
    assert "Ferries <em>first</em>." in Discussion.objects.get(post=post).first_page_html
    assert_first_page_stored(post)


def test_the_post_page_sends_the_stored_first_page_without_reading_comment_rows(client, post):
    root = add_comment(post, text="Ferries first.")
    add_comment(post, parent=root, text="Buses, surely.")
    stored_html = Discussion.objects.get(post=post).first_page_html
    before, mark, after = stored_html.partition(sections.SECURITY_MARK)
    assert mark and 'name="security_hash"' not in stored_html
    with CaptureQueriesContext(connection) as queries:
        page = client.get(post.get_absolute_url()).content.decode()
    assert before in page and after in page and "Buses, surely." in page
    assert not [q for q in queries if 'FROM "comments_comment"' in q["sql"]]
    # The counts come with the stored page, in one read of the post's discussion row.
    assert len([q for q in queries if 'FROM "comments_discussion"' in q["sql"]]) == 1


def test_a_first_page_stored_under_another_key_is_built_live_the_same(client, post, settings):
    settings.PAGE_CACHE_SECONDS = 0  # both requests render
    root = add_comment(post, text="Ferries first.")
    add_comment(post, parent=root, text="Buses, surely.")
    stored_page = client.get(post.get_absolute_url()).content.decode()
    # A release that prints threads differently, or other settings: the key no longer fits.
    Discussion.objects.filter(post=post).update(first_page_key="older", first_page_html="stale")
    with CaptureQueriesContext(connection) as queries:
        live_page = client.get(post.get_absolute_url()).content.decode()
    assert "stale" not in live_page
    assert [q for q in queries if 'FROM "comments_comment"' in q["sql"]]
    thread = threads.ThreadHTML(urls=threads.action_urls(), is_open=True, signed_in=False)
    items = thread.items(threads.load_threads(post).items)
    assert items in stored_page and items in live_page


def test_comments_closed_by_the_author_are_built_live_without_reply_links(client, post):
    """Closing is a change to the post, not to its comments: the stored page no longer fits."""
    add_comment(post, text="Ferries first.")
    assert "data-reply" in Discussion.objects.get(post=post).first_page_html
    type(post).objects.filter(pk=post.pk).update(comments_open=False)
    page = client.get(post.get_absolute_url()).content.decode()
    assert "Ferries first." in page and "data-reply" not in page


def test_repair_stores_first_pages_of_an_older_release(post):
    add_comment(post, text="Ferries first.")
    Discussion.objects.filter(post=post).update(first_page_key="older", first_page_html="stale")
    call_command("repair_comment_counts", stdout=StringIO())
    assert_first_page_stored(post)


def test_comments_closed_by_date_get_their_closed_page_stored_within_the_hour(post, settings):
    add_comment(post, text="Ferries first.")
    settings.COMMENTS_CLOSE_AFTER_DAYS = 0  # the post's comments closed as it was published
    assert not comments_are_open(post)
    assert "data-reply" in Discussion.objects.get(post=post).first_page_html
    job = {job.name: job for job in periodic.registered()}["comments-sections"]
    assert job.every.total_seconds() == 3600
    job.run(now=timezone.now())
    assert "data-reply" not in Discussion.objects.get(post=post).first_page_html
    assert_first_page_stored(post)


def test_looking_for_outdated_first_pages_reads_keys_not_pages(post):
    add_comment(post, text="Ferries first.")
    with CaptureQueriesContext(connection) as queries:
        assert counts.store_outdated_sections() == 0
    (looked,) = queries.captured_queries
    assert "first_page_key" in looked["sql"] and "first_page_html" not in looked["sql"]
    assert '"body' not in looked["sql"]


def test_a_new_comment_is_counted_once_though_xtd_saves_it_twice(post):
    root = add_comment(post)
    with mock.patch.object(counts, "recount", wraps=counts.recount) as recount:
        reply = add_comment(post, parent=root)
        add_comment(post)
    assert [call.args for call in recount.call_args_list] == [(post.pk,), (post.pk,)]
    assert reply.thread_id == root.pk
    assert_counts(post, 3, 2)


def test_a_stored_section_gets_fresh_signed_fields_on_every_view(client, post):
    """What the reader's browser sends back: the page's own hidden fields, signed now."""
    add_comment(post, text="Ferries first.")
    assert sections.SECURITY_MARK in Discussion.objects.get(post=post).first_page_html
    page = client.get(post.get_absolute_url()).content.decode()
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', page))
    assert abs(int(fields["timestamp"]) - time.time()) < 5
    form = CommentForm(post, data={name: fields[name] for name in sections_fields()})
    assert not form.security_errors()
    assert sections.SECURITY_MARK not in page


def sections_fields() -> tuple[str, ...]:
    return ("content_type", "object_pk", "timestamp", "security_hash")


def test_a_renamed_post_renders_its_section_live_until_stored_again(client, post):
    """The section links to the post (sign in, then come back): its address is in the key."""
    add_comment(post, text="Ferries first.")
    type(post).objects.filter(pk=post.pk).update(slug="ferries-renamed")
    renamed = type(post).objects.get(pk=post.pk)
    page = client.get(renamed.get_absolute_url()).content.decode()
    assert "ferries-renamed" in page.split('id="comments"', 1)[1]
    assert counts.store_outdated_sections() == 1
    assert_first_page_stored(renamed)


def test_the_page_with_the_stored_section_is_the_page_rendered_live(client, post, settings):
    settings.PAGE_CACHE_SECONDS = 0
    root = add_comment(post, text="Ferries first.")
    add_comment(post, parent=root, text="Buses, surely.")

    stored = client.get(post.get_absolute_url()).content
    Discussion.objects.filter(post=post).update(first_page_key="")  # as if never stored
    live = client.get(post.get_absolute_url()).content
    assert b"Buses, surely." in stored
    assert without_clock(stored) == without_clock(live)


def test_a_saved_post_gets_its_section_stored_once_the_save_commits(
    client, django_capture_on_commit_callbacks
):
    """A post without comments has a section too (the form), and a rename changes its links."""
    with django_capture_on_commit_callbacks(execute=True):
        post = PostFactory(title="Ferries before flyovers")
    assert_first_page_stored(post)
    with django_capture_on_commit_callbacks(execute=True):
        post.slug = "ferries-first"
        post.save()
    assert_first_page_stored(post)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(post.get_absolute_url()).content.decode()
    assert "ferries-first" in page.split('id="comments"', 1)[1]
    assert not [q for q in queries if 'FROM "comments_comment"' in q["sql"]]
