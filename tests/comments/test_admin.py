import datetime

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_comments.models import CommentFlag
from django_comments_xtd.models import BlackListedDomain

from blog.models import Post
from comments.flags import SPAM
from comments.models import Comment, FlagReport
from comments.moderation import PostModerator
from tests.comments.support import ORIGIN, add_comment
from tests.factories import PostFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:comments_comment_changelist")


@pytest.fixture
def post():
    return PostFactory(title="Ferries before flyovers")


def queue(client, **params) -> list[Comment]:
    response = client.get(CHANGELIST, params)
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def flag(comment, *, by, kind=CommentFlag.SUGGEST_REMOVAL, when=None):
    return CommentFlag.objects.create(comment=comment, user=by, flag=kind, flag_date=when)


def readers(count):
    return [
        UserFactory(username=f"reader{n}", email=f"reader{n}@example.org") for n in range(count)
    ]


def act(client, action, comments):
    return client.post(
        CHANGELIST, {"action": action, "_selected_action": [c.pk for c in comments]}, follow=True
    )


def refreshed(comment) -> Comment:
    return Comment.objects.get(pk=comment.pk)


# The queue ----------------------------------------------------------------------------


def test_queue_shows_awaiting_then_flagged_then_the_rest_newest_first(
    author_client, post, now, yesterday
):
    older = add_comment(post, text="older", submit_date=now - datetime.timedelta(days=3))
    newer = add_comment(post, text="newer", submit_date=yesterday)
    flagged_once = add_comment(
        post, text="flagged once", submit_date=now - datetime.timedelta(days=5)
    )
    flagged_twice = add_comment(
        post, text="flagged twice", submit_date=now - datetime.timedelta(days=6)
    )
    held = add_comment(
        post, text="held", is_public=False, submit_date=now - datetime.timedelta(days=9)
    )
    removed = add_comment(post, text="removed", is_removed=True)
    one, two = readers(2)
    flag(flagged_once, by=one)
    flag(flagged_twice, by=one)
    flag(flagged_twice, by=two)
    flag(newer, by=one, kind="I liked it")

    assert queue(author_client) == [held, flagged_twice, flagged_once, removed, newer, older]


def test_flags_the_author_already_ruled_on_no_longer_count(author_client, post, now):
    comment = add_comment(post)
    (reader,) = readers(1)
    flag(comment, by=reader, when=now - datetime.timedelta(hours=2))
    flag(comment, by=author_client.author, kind=CommentFlag.MODERATOR_APPROVAL)
    assert queue(author_client, flagged="yes") == []
    assert queue(author_client, flagged="no") == [comment]


@pytest.mark.parametrize(
    ("status", "expected"),
    [("awaiting", ["held"]), ("public", ["public"]), ("removed", ["removed"])],
)
def test_status_filter(author_client, post, status, expected):
    add_comment(post, text="public")
    add_comment(post, text="held", is_public=False)
    add_comment(post, text="removed", is_removed=True)
    assert [c.comment for c in queue(author_client, status=status)] == expected


def test_post_filter_and_search(author_client, post):
    other_post = PostFactory(title="Water rationing")
    mine = add_comment(post, text="About ferries", user_name="Ada", user_email="ada@example.org")
    theirs = add_comment(other_post, text="About water", user_name="Bo", user_email="bo@ex.org")
    assert queue(author_client, post=post.pk) == [mine]
    html = author_client.get(CHANGELIST).content.decode()
    assert "Ferries before flyovers" in html and "Water rationing" in html
    assert queue(author_client, q="Ada") == [mine]
    assert queue(author_client, q="bo@ex.org") == [theirs]
    assert queue(author_client, q="water") == [theirs]


def test_queue_runs_a_fixed_number_of_queries_for_100_comments(author_client):
    posts = PostFactory.create_batch(4)
    flaggers = readers(2)
    author_client.get(CHANGELIST)  # warm the content-type cache

    def queries_for_queue():
        with CaptureQueriesContext(connection) as queries:
            response = author_client.get(CHANGELIST)
        assert response.status_code == 200
        return len(queries), len(response.context["cl"].result_list)

    for number in range(5):
        comment = add_comment(posts[number % 4], is_public=number % 2 == 0)
        flag(comment, by=flaggers[0])
    few, shown = queries_for_queue()
    assert shown == 5
    for number in range(95):
        comment = add_comment(
            posts[number % 4], user=flaggers[number % 2], is_public=number % 3 != 0
        )
        if number % 5 == 0:
            flag(comment, by=flaggers[1])
    many, shown = queries_for_queue()
    assert shown == 100
    assert many == few <= 10


# Actions ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_approving_a_held_comment_publishes_it_and_notifies_followers(client, smtp_server):
    author = StaffFactory(username="author", email="author@example.org")
    client.force_login(author)
    post = PostFactory(title="Ferries before flyovers", author=author)
    add_comment(post, text="First!", user_email="follower@example.org", followup=True)
    held = add_comment(
        post, text="Two links held this reply", user_email="late@example.org", is_public=False
    )
    before = len(smtp_server.messages)

    response = act(client, "approve", [held])
    assert "1 comment(s) published" in response.content.decode()
    held = refreshed(held)
    assert held.is_public and not held.is_removed
    assert CommentFlag.objects.filter(
        comment_id=held.pk, user=author, flag=CommentFlag.MODERATOR_APPROVAL
    ).exists()
    followups = [m for m in smtp_server.messages[before:] if m["To"] == "follower@example.org"]
    assert len(followups) == 1
    assert "Two links held this reply" in followups[0].get_body(("plain",)).get_content()


def test_approving_a_comment_hidden_by_flags_does_not_announce_it_twice(
    author_client, post, django_capture_on_commit_callbacks, settings
):
    settings.COMMENTS_HIDE_AFTER_FLAGS = 1
    add_comment(post, text="First!", user_email="follower@example.org", followup=True)
    comment = add_comment(post, text="Hidden, then approved", user_email="late@example.org")
    (reader,) = readers(1)
    flag(comment, by=reader)
    assert not refreshed(comment).is_public
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        act(author_client, "approve", [comment])
    assert refreshed(comment).is_visible
    assert [m for m in mail.outbox if "follower@example.org" in m.to] == []


def test_remove_action_records_the_moderator_deletion(author_client, post):
    comment = add_comment(post)
    act(author_client, "remove", [comment])
    assert refreshed(comment).is_removed
    assert CommentFlag.objects.filter(
        comment_id=comment.pk, flag=CommentFlag.MODERATOR_DELETION, user=author_client.author
    ).exists()


def test_mark_spam_removes_and_flags_as_spam_without_blocking(author_client, post):
    comment = add_comment(post, user_email="bot@spam.example")
    act(author_client, "mark_spam", [comment])
    assert refreshed(comment).is_removed
    assert CommentFlag.objects.filter(comment_id=comment.pk, flag=SPAM).exists()
    assert not BlackListedDomain.objects.exists()


def test_spam_and_block_blocks_the_domain_but_spares_one_other_readers_use(author_client, post):
    spam = add_comment(post, user_email="bot@spam.example")
    add_comment(post, user_email="fan@bigmail.example")
    mixed = add_comment(post, user_email="bot2@bigmail.example")
    response = act(author_client, "mark_spam_and_block_domains", [spam, mixed])
    html = response.content.decode()
    assert "spam.example will be refused" in html
    assert "other readers comment from there: bigmail.example" in html
    assert list(BlackListedDomain.objects.values_list("domain", flat=True)) == ["spam.example"]
    assert refreshed(spam).is_removed and refreshed(mixed).is_removed

    moderator = PostModerator(Post)
    new_spam = add_comment(post, user_email="again@spam.example", is_public=False)
    assert moderator.allow(new_spam, post, None) is False


def test_actions_need_the_change_permission(client, post):
    viewer = UserFactory(username="viewer", is_staff=True)
    viewer.user_permissions.add(
        Permission.objects.get(codename="view_comment", content_type__app_label="comments")
    )
    client.force_login(viewer)
    held = add_comment(post, is_public=False)
    response = client.post(CHANGELIST, {"action": "approve", "_selected_action": [held.pk]})
    assert response.status_code in {200, 302}
    assert not refreshed(held).is_public


def test_ticking_is_public_on_the_change_page_is_an_approval(
    author_client, post, django_capture_on_commit_callbacks
):
    add_comment(post, text="First!", user_email="follower@example.org", followup=True)
    held = add_comment(post, text="Held reply", user_email="late@example.org", is_public=False)
    url = reverse("admin:comments_comment_change", args=[held.pk])
    form = author_client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(is_public="on", user="")
    data.pop("is_removed", None)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = author_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert refreshed(held).is_visible
    assert CommentFlag.objects.filter(
        comment_id=held.pk, flag=CommentFlag.MODERATOR_APPROVAL
    ).exists()
    assert [m.to for m in mail.outbox if "follower@example.org" in m.to] == [
        ["follower@example.org"]
    ]


# Hiding after N flags -----------------------------------------------------------------


def test_a_comment_flagged_by_enough_readers_is_hidden_and_the_author_told_once(
    post, settings, django_capture_on_commit_callbacks
):
    settings.COMMENTS_HIDE_AFTER_FLAGS = 3
    settings.MANAGERS = ["mods@example.org"]
    comment = add_comment(post, text="Something rude")
    reply = add_comment(post, text="A reply to it", parent=comment)
    first, second, third, fourth = readers(4)
    flag(comment, by=first, kind="I disliked it")
    with django_capture_on_commit_callbacks(execute=True):
        flag(comment, by=first)
        flag(comment, by=second)
    assert refreshed(comment).is_visible

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        flag(comment, by=third)
        flag(comment, by=fourth)
    comment = refreshed(comment)
    assert not comment.is_public and not comment.is_removed
    assert not refreshed(reply).is_public, "its replies leave with it, as xtd does"
    notices = [m for m in mail.outbox if "was hidden" in m.subject]
    assert len(notices) == 1
    assert sorted(notices[0].to) == sorted([post.author.email, "mods@example.org"])
    assert reverse("admin:comments_comment_change", args=[comment.pk]) in notices[0].body


def test_readers_flagging_on_the_site_hide_the_comment(client, post, settings):
    settings.COMMENTS_HIDE_AFTER_FLAGS = 3
    comment = add_comment(post, text="Something rude")
    for number, reader in enumerate(readers(3), start=1):
        client.force_login(reader)
        response = client.post(
            reverse("comments-flag", args=[comment.pk]), {"reason": "abuse"}, headers=ORIGIN
        )
        assert response.status_code == 302
        assert refreshed(comment).is_public is (number < 3)


def test_an_approved_comment_needs_as_many_new_flags_to_hide_again(
    author_client, post, settings, now
):
    settings.COMMENTS_HIDE_AFTER_FLAGS = 2
    comment = add_comment(post)
    one, two, three, four = readers(4)
    earlier = now - datetime.timedelta(minutes=5)
    flag(comment, by=one, when=earlier)
    flag(comment, by=two, when=earlier)
    assert not refreshed(comment).is_public
    act(author_client, "approve", [comment])
    assert refreshed(comment).is_visible

    flag(comment, by=three)
    assert refreshed(comment).is_visible
    flag(comment, by=four)
    assert not refreshed(comment).is_public


def test_a_comment_hidden_by_flags_leaves_the_public_page(
    client, post, settings, django_capture_on_commit_callbacks
):
    settings.COMMENTS_HIDE_AFTER_FLAGS = 1
    comment = add_comment(post, text="Visible until flagged")
    assert "Visible until flagged" in client.get(post.get_absolute_url()).content.decode()
    (reader,) = readers(1)
    with django_capture_on_commit_callbacks(execute=True):
        flag(comment, by=reader)
    assert "Visible until flagged" not in client.get(post.get_absolute_url()).content.decode()


# Change page, index, post list --------------------------------------------------------


def test_change_page_shows_post_thread_and_other_comments_in_fixed_queries(author_client, post):
    other_post = PostFactory(title="Water rationing")
    root = add_comment(post, text="The root of it", user_email="root@example.org")
    comment = add_comment(post, text="Middle reply", parent=root, user_email="ada@example.org")
    add_comment(post, text="Answer to the middle", parent=comment, user_email="bo@example.org")
    add_comment(other_post, text="Ada elsewhere", user_email="ADA@example.org")
    url = reverse("admin:comments_comment_change", args=[comment.pk])
    author_client.get(url)

    with CaptureQueriesContext(connection) as few:
        html = author_client.get(url).content.decode()
    assert f'href="{post.get_absolute_url()}"' in html
    for text in ("The root of it", "Middle reply", "Answer to the middle"):
        assert text in html
    assert "Ada elsewhere" in html and "Water rationing" in html

    for number in range(15):
        add_comment(post, text=f"More {number}", parent=root, user_email="cy@example.org")
        add_comment(other_post, text=f"Ada again {number}", user_email="ada@example.org")
    with CaptureQueriesContext(connection) as many:
        html = author_client.get(url).content.decode()
    assert "More 14" in html and "Ada again 14" in html
    assert len(many) == len(few)


def test_admin_index_counts_comments_awaiting_moderation_and_flagged_ones(author_client, post):
    held = [add_comment(post, is_public=False), add_comment(post, is_public=False)]
    flagged = add_comment(post)
    add_comment(post)
    add_comment(post, is_public=False, is_removed=True)
    (reader,) = readers(1)
    flag(flagged, by=reader)
    html = author_client.get(reverse("admin:index")).content.decode()
    assert f'href="{CHANGELIST}?status=review">3 comments to review</a>' in html
    assert f'href="{CHANGELIST}?status=awaiting">2 awaiting moderation</a>' in html
    assert f'href="{CHANGELIST}?status=public&amp;flagged=yes">1 flagged by readers</a>' in html
    queue = author_client.get(f"{CHANGELIST}?status=review")
    shown = {comment.pk for comment in queue.context["cl"].result_list}
    assert shown == {held[0].pk, held[1].pk, flagged.pk}


def test_the_queue_shows_comments_rendered_not_their_markdown(author_client, post):
    comment = add_comment(
        post, text="I **strongly** disagree: [the budget](https://example.org/b)."
    )
    queue = author_client.get(CHANGELIST).content.decode()
    excerpt = queue.split('<th class="field-excerpt">', 1)[1].split("</th>", 1)[0]
    assert ">I strongly disagree: the budget.</a>" in excerpt
    page = author_client.get(reverse("admin:comments_comment_change", args=[comment.pk]))
    rendered = page.content.decode().split('<div class="comment-rendered">', 1)[1]
    assert rendered.startswith("<p>I <strong>strongly</strong> disagree: <a")
    assert 'href="https://example.org/b"' in rendered.split("</div>", 1)[0]


def test_admin_index_hides_the_count_from_staff_who_cannot_see_comments(client, post):
    add_comment(post, is_public=False)
    client.force_login(UserFactory(username="editor", is_staff=True))
    assert "awaiting moderation" not in client.get(reverse("admin:index")).content.decode()


def test_post_list_counts_public_comments_in_one_query(author_client):
    def post_list_queries():
        with CaptureQueriesContext(connection) as queries:
            response = author_client.get(reverse("admin:blog_post_changelist"))
        return len(queries), response

    commented = PostFactory(title="Ferries before flyovers")
    add_comment(commented)
    add_comment(commented)
    add_comment(commented, is_public=False)
    add_comment(commented, is_removed=True)
    few, response = post_list_queries()
    counts = {post.pk: post.public_comment_count for post in response.context["cl"].result_list}
    assert counts == {commented.pk: 2}
    html = response.content.decode()
    assert f'<a href="{CHANGELIST}?post={commented.pk}">2</a>' in html

    for post in PostFactory.create_batch(20):
        add_comment(post)
    many, _ = post_list_queries()
    assert many == few


def test_the_change_page_shows_each_readers_reason_for_a_flag(author_client, post):
    comment = add_comment(post, text="Something rude")
    one, two = readers(2)
    FlagReport.objects.create(flag=flag(comment, by=one), reason="abuse", note="Insults Bo.")
    flag(comment, by=two)  # flagged before reasons were asked for
    html = author_client.get(reverse("admin:comments_comment_change", args=[comment.pk]))
    page = html.content.decode()
    assert "removal suggestion by reader0 on" in page
    assert "Abusive, hateful or harassing (“Insults Bo.”)" in page
