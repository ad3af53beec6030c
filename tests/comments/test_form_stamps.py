"""Issue 10, item 13: the comment form's per-visitor stamp (comments/stamps.py).

Post pages are cached for everyone, so the form's own timestamp says when the page was
rendered: the minimum-time check did nothing and a captured form replayed for two hours.
The stamp is fetched per visitor, lives an hour, must be COMMENTS_MIN_SUBMIT_SECONDS old and
is spent on first use.
"""

import time

import pytest
from django.core import mail, signing
from django.urls import reverse
from lxml import html as lxml_html

from comments.models import Comment
from comments.stamps import new_stamp
from tests.comments.support import JSON, ORIGIN, form_data, post_comment
from tests.comments.test_posting import signed_fields
from tests.factories import PostFactory

pytestmark = pytest.mark.django_db


def stamp_made_ago(monkeypatch, post, seconds: int) -> str:
    then = int(time.time()) - seconds
    with monkeypatch.context() as patched:
        patched.setattr(signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(then))
        return new_stamp(post)


def page_form_fields(post, *, age_seconds: int) -> dict:
    """The security fields of a form rendered `age_seconds` ago (a cached page's form)."""
    return signed_fields(post, int(time.time()) - age_seconds)


def test_the_minimum_time_counts_from_the_visitors_stamp_not_the_cached_page(
    client, settings, monkeypatch
):
    settings.COMMENTS_MIN_SUBMIT_SECONDS = 3
    post = PostFactory()
    cached_page = page_form_fields(post, age_seconds=600)  # the page was cached 10 minutes ago
    hurried = post_comment(client, post, stamp=new_stamp(post), **cached_page)
    assert hurried.status_code == 400
    assert "quicker than anyone types" in hurried.content.decode()
    assert mail.outbox == []
    written = post_comment(client, post, stamp=stamp_made_ago(monkeypatch, post, 4), **cached_page)
    assert written.status_code == 302
    assert len(mail.outbox) == 1


def test_a_captured_form_cannot_be_replayed(client, settings):
    settings.COMMENTS_PER_NETWORK_PER_MINUTE = 100
    post = PostFactory()
    captured = form_data(post)
    first = client.post(reverse("comments:post"), captured, headers=ORIGIN)
    assert first.status_code == 302
    replay = captured | {"email": "victim@example.org", "comment": "Spam, replayed."}
    again = client.post(reverse("comments:post"), replay, headers=ORIGIN)
    assert again.status_code == 400
    assert "already sent once" in again.content.decode()
    assert [m.to for m in mail.outbox] == [["ada@example.org"]]


def test_a_stamp_expires_after_an_hour(client, settings, monkeypatch):
    post = PostFactory()
    old = stamp_made_ago(monkeypatch, post, settings.COMMENTS_FORM_STAMP_MAX_AGE + 1)
    response = post_comment(client, post, stamp=old)
    assert response.status_code == 400
    assert "open for a long time" in response.content.decode()
    assert mail.outbox == []


def test_a_stamp_for_another_post_is_refused(client):
    response = post_comment(client, PostFactory(), stamp=new_stamp(PostFactory()))
    assert response.status_code == 400
    assert mail.outbox == []


def comment_form(html: str):
    (form,) = [f for f in lxml_html.fromstring(html).forms if "data-comment-form" in f.attrib]
    return form


def test_the_cached_post_page_carries_no_stamp(client):
    post = PostFactory()
    form = comment_form(client.get(post.get_absolute_url()).content.decode())
    (field,) = form.xpath(".//input[@name='stamp']")
    assert field.get("value") == ""
    assert field.get("data-stamp-url") == reverse("comments:stamp")


def test_the_script_gets_a_fresh_stamp_from_a_same_origin_post(client):
    post = PostFactory()
    fields = {"content_type": "blog.post", "object_pk": str(post.pk)}
    response = client.post(reverse("comments:stamp"), fields, headers=JSON)
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]
    stamp = response.json()["stamp"]
    assert stamp != client.post(reverse("comments:stamp"), fields, headers=JSON).json()["stamp"]
    assert post_comment(client, post, stamp=stamp).status_code == 302


def test_the_stamp_endpoint_refuses_cross_site_get_and_unpublished_posts(client):
    post = PostFactory()
    fields = {"content_type": "blog.post", "object_pk": str(post.pk)}
    url = reverse("comments:stamp")
    assert client.post(url, fields, headers={"origin": "https://evil.example"}).status_code == 403
    assert client.get(url, fields).status_code == 405
    draft = {"content_type": "blog.post", "object_pk": str(PostFactory(draft=True).pk)}
    assert client.post(url, draft, headers=ORIGIN).status_code == 404


def test_without_the_script_the_form_comes_back_with_a_fresh_stamp_and_the_text(client):
    post = PostFactory()
    first = post_comment(client, post, stamp="", comment="Buses, then trams.")
    assert first.status_code == 400
    html = first.content.decode()
    assert "One more step" in html and "Buses, then trams." in html
    form = comment_form(html)
    fields = dict(form.form_values())
    assert fields["stamp"] and fields["email"] == "ada@example.org"
    assert fields["comment"] == "Buses, then trams."
    again = client.post(form.action, fields, headers=ORIGIN)
    assert again.status_code == 302
    assert len(mail.outbox) == 1
    assert Comment.objects.count() == 0  # waiting for the emailed link, as always


def test_the_script_gets_the_fresh_stamp_in_the_json_refusal(client):
    post = PostFactory()
    response = post_comment(client, post, stamp="", headers=JSON)
    assert response.status_code == 400
    assert response.json()["stamp"]
