"""Like and flag answer the page's script in JSON; a flag has a reason and is never your own;
the depth-limit and reply pages (issue 11, readers)."""

import pytest
from django.urls import reverse
from django_comments.models import CommentFlag

from comments.models import FlagReport
from tests.comments.support import JSON, ORIGIN, add_comment, elements, section_of
from tests.factories import PostFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def comment():
    return add_comment(PostFactory(), text="Ferries first.", user_name="Ann Reader")


def test_a_like_answers_the_script_with_the_new_state_and_counts(client, comment):
    client.force_login(UserFactory())
    url = reverse("comments-xtd-like", args=[comment.pk])
    liked = client.post(url, headers=JSON)
    assert liked.status_code == 200
    assert liked.json() | {"message": ""} == {
        "ok": True,
        "liked": True,
        "disliked": False,
        "likes": 1,
        "dislikes": 0,
        "message": "",
    }
    disliked = client.post(reverse("comments-xtd-dislike", args=[comment.pk]), headers=JSON)
    assert (disliked.json()["liked"], disliked.json()["disliked"]) == (False, True)
    assert (disliked.json()["likes"], disliked.json()["dislikes"]) == (0, 1)
    taken_back = client.post(reverse("comments-xtd-dislike", args=[comment.pk]), headers=JSON)
    assert taken_back.json()["disliked"] is False and taken_back.json()["dislikes"] == 0


def test_a_like_from_another_site_or_a_stranger_changes_nothing(client, comment):
    url = reverse("comments-xtd-like", args=[comment.pk])
    assert client.post(url, headers=JSON).status_code == 403  # not signed in
    client.force_login(UserFactory())
    assert client.post(url, headers={"origin": "https://evil.example"}).status_code == 403
    assert client.get(url).status_code == 200  # the no-script confirmation page
    assert CommentFlag.objects.count() == 0


def test_a_flag_needs_a_reason_and_stores_it_with_the_note(client, comment):
    reader = UserFactory()
    client.force_login(reader)
    url = reverse("comments-flag", args=[comment.pk])
    refused = client.post(url, {"note": "Rude."}, headers=JSON)
    assert refused.status_code == 400
    assert refused.json()["errors"]["reason"] == ["Please choose a reason."]
    assert CommentFlag.objects.count() == 0
    flagged = client.post(url, {"reason": "abuse", "note": " Insults a reader. "}, headers=JSON)
    assert flagged.status_code == 200
    assert flagged.json()["ok"] is True
    report = FlagReport.objects.select_related("flag").get()
    assert (report.reason, report.note) == ("abuse", "Insults a reader.")
    assert (report.flag.user, report.flag.flag) == (reader, CommentFlag.SUGGEST_REMOVAL)


def test_without_javascript_the_flag_page_asks_for_a_reason_then_thanks(client, comment):
    client.force_login(UserFactory())
    url = reverse("comments-flag", args=[comment.pk])
    page = client.get(url).content.decode()
    radios = [e for e in elements(page, "input") if e["attrs"].get("type") == "radio"]
    assert {r["attrs"]["value"] for r in radios} >= {"spam", "abuse", "off-topic", "other"}
    assert "Flag this comment" in page and "Cancel" in page
    again = client.post(url, {"reason": ""}, headers=ORIGIN)
    assert again.status_code == 400 and "Please choose a reason." in again.content.decode()
    done = client.post(url, {"reason": "spam"}, headers=ORIGIN)
    assert done["Location"] == f"{reverse('comments-flag-done')}?c={comment.pk}"
    assert CommentFlag.objects.filter(flag=CommentFlag.SUGGEST_REMOVAL).count() == 1


@pytest.mark.parametrize("how", ["account", "address"])
def test_nobody_flags_their_own_comment(client, how):
    reader = UserFactory(email="ann@example.org")
    post = PostFactory()
    if how == "account":
        own = add_comment(post, user=reader, user_email="ann@example.org", user_name="Ann")
    else:  # written before signing in, with the address they sign in with
        own = add_comment(post, user_email="Ann@Example.org", user_name="Ann")
    other = add_comment(post, user_email="bo@example.org", user_name="Bo")
    client.force_login(reader)
    html = section_of(client.get(post.get_absolute_url()).content.decode())
    flag_links = {e["attrs"]["href"] for e in elements(html, "a") if "data-flag" in e["attrs"]}
    assert flag_links == {reverse("comments-flag", args=[other.pk])}
    url = reverse("comments-flag", args=[own.pk])
    page = client.get(url)
    assert page.status_code == 403 and "This is your own comment" in page.content.decode()
    assert client.post(url, {"reason": "spam"}, headers=ORIGIN).status_code == 403
    assert client.post(url, {"reason": "spam"}, headers=JSON).status_code == 403
    assert CommentFlag.objects.count() == 0


def test_replying_below_the_deepest_level_gets_a_page_that_offers_the_level_above(client, settings):
    settings.COMMENTS_XTD_MAX_THREAD_LEVEL = 2
    post = PostFactory()
    root = add_comment(post, user_name="Ann")
    middle = add_comment(post, parent=root, user_name="Bo")
    deepest = add_comment(post, parent=middle, user_name="Cy", text="Buses, then.")
    response = client.get(reverse("comments-xtd-reply", args=[deepest.pk]))
    assert response.status_code == 403
    page = response.content.decode()
    assert '<main id="main"' in page  # the site's layout, not bare text
    headings = [
        (e["tag"], " ".join(e["text"].split())) for e in elements(page) if e["tag"] in {"h1", "h2"}
    ]
    assert ("h1", "This conversation is as deep as it goes") in headings
    assert ("h2", "How to answer Cy") in headings
    links = {" ".join(e["text"].split()): e["attrs"]["href"] for e in elements(page, "a")}
    assert links["Reply to Bo"] == reverse("comments-xtd-reply", args=[middle.pk])
    assert links["Back to the discussion"] == deepest.get_absolute_url()
    assert client.get(links["Reply to Bo"]).status_code == 200


def test_the_no_script_reply_page_goes_from_h1_to_h2(client):
    comment = add_comment(PostFactory(), user_name="Ann")
    page = client.get(reverse("comments-xtd-reply", args=[comment.pk])).content.decode()
    levels = [int(e["tag"][1]) for e in elements(page) if e["tag"] in {"h1", "h2", "h3", "h4"}]
    assert levels[0] == 1
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), levels
