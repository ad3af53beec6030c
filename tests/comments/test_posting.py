import datetime
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.urls import reverse
from django_comments_xtd.models import BlackListedDomain

from comments.forms import CommentForm
from comments.models import BlockedWord, Comment
from comments.signals import newsletter_consent_given
from tests.comments.support import JSON, ORIGIN, add_comment, link_in, post_comment
from tests.factories import PostFactory, UserFactory

pytestmark = pytest.mark.django_db


def confirm_from_outbox(client, index=-1):
    """Follow the confirmation link of a mail in the locmem outbox."""
    import email
    import email.policy

    message = email.message_from_bytes(
        mail.outbox[index].message().as_bytes(), policy=email.policy.default
    )
    return client.post(urlsplit(link_in(message, "/comments/confirm/")).path, headers=ORIGIN)


# Anonymous and signed-in posting


def test_anonymous_comment_is_not_stored_until_confirmed_and_a_link_is_mailed(client):
    post = PostFactory()
    response = post_comment(client, post)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('comments:posted')}?post={post.pk}&state=confirm"
    assert Comment.objects.count() == 0
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ada@example.org"]
    page = client.get(response["Location"])
    assert "Check your email to publish your comment" in page.content.decode()


def test_signed_in_reader_posts_at_once_under_their_own_identity(client):
    post = PostFactory()
    reader = UserFactory(first_name="Ines", last_name="Duarte", email="ines@example.org")
    client.force_login(reader)
    response = post_comment(client, post, name="Someone Else", email="victim@example.org")
    comment = Comment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{post.get_absolute_url()}?c={comment.pk}#c{comment.pk}"
    assert comment.is_public and comment.user == reader
    assert (comment.user_name, comment.user_email) == ("Ines Duarte", "ines@example.org")
    assert [m.to for m in mail.outbox if "confirm" in m.subject.lower()] == []


def test_with_javascript_an_anonymous_post_answers_json_with_the_message(client):
    post = PostFactory()
    response = post_comment(client, post, headers=JSON)
    assert response.status_code == 202
    assert response.json() == {
        "ok": True,
        "state": "confirm",
        "message": "Check your email to publish your comment.",
    }


def test_with_javascript_a_signed_in_reply_comes_back_rendered(client):
    post = PostFactory()
    root = add_comment(post)
    client.force_login(UserFactory())
    response = post_comment(client, post, headers=JSON, reply_to=str(root.pk), comment="*Agreed*")
    assert response.status_code == 201
    data = response.json()
    reply = Comment.objects.get(parent_id=root.pk, level=1)
    assert (data["state"], data["id"], data["parent"]) == ("published", reply.pk, root.pk)
    assert data["html"].startswith(f'<li class="comment comment--level-1" id="c{reply.pk}">')
    assert "<em>Agreed</em>" in data["html"]


def test_a_form_error_comes_back_as_json_with_field_messages(client):
    response = post_comment(client, PostFactory(), headers=JSON, email="not an address")
    assert response.status_code == 400
    assert response.json()["errors"] == {"email": ["Enter a valid email address."]}


def test_a_cross_site_post_is_refused_with_no_row_and_no_mail(client):
    post = PostFactory()
    response = post_comment(client, post, headers={"origin": "https://evil.example"})
    assert response.status_code == 403
    assert Comment.objects.count() == 0 and mail.outbox == []
    client.force_login(UserFactory())
    assert post_comment(client, post, headers={"origin": "https://evil.example"}).status_code == 403
    assert Comment.objects.count() == 0


def test_xtds_own_posting_url_answers_through_our_checks(client):
    assert reverse("comments-post-comment") == reverse("comments:post")
    assert reverse("comments-xtd-confirm", args=["k"]) == reverse("comments:confirm", args=["k"])


# Tampering and spam timing: signed form fields, the honeypot, a minimum time to type


def test_another_posts_id_under_the_old_hash_is_rejected(client):
    post, other = PostFactory(), PostFactory()
    response = post_comment(client, post, object_pk=str(other.pk))
    assert response.status_code == 400
    assert "Reload the page" in response.content.decode()
    assert Comment.objects.count() == 0 and mail.outbox == []


def signed_fields(post, timestamp) -> dict:
    form = CommentForm(post)
    return {
        "timestamp": str(timestamp),
        "security_hash": form.initial_security_hash(timestamp),
    }


def test_a_form_older_than_two_hours_is_rejected(client, now):
    post = PostFactory()
    response = post_comment(client, post, **signed_fields(post, int(now.timestamp()) - 7201))
    assert response.status_code == 400
    assert Comment.objects.count() == 0 and mail.outbox == []


def test_a_filled_honeypot_is_rejected(client):
    response = post_comment(client, PostFactory(), honeypot="http://spam.example")
    assert response.status_code == 400
    assert Comment.objects.count() == 0 and mail.outbox == []


def test_the_same_comment_sent_twice_is_stored_once(client):
    post = PostFactory()
    client.force_login(UserFactory())
    assert post_comment(client, post).status_code == 302
    second = post_comment(client, post)
    assert second.status_code == 302
    assert Comment.objects.count() == 1
    assert second["Location"].endswith(f"#c{Comment.objects.get().pk}")


def test_a_comment_over_the_maximum_length_gets_a_clear_message(client, settings):
    response = post_comment(client, PostFactory(), comment="x" * (settings.COMMENT_MAX_LENGTH + 1))
    assert response.status_code == 400
    assert (
        f"Your comment is too long: please keep it under {settings.COMMENT_MAX_LENGTH} characters"
        in response.content.decode()
    )
    assert mail.outbox == []


def test_a_javascript_url_is_refused(client):
    response = post_comment(client, PostFactory(), headers=JSON, url="javascript:alert(1)")
    assert response.status_code == 400
    assert "url" in response.json()["errors"]


# Holding for moderation: links, blocked words and the author's rules


def test_a_comment_with_two_links_is_held(client):
    post = PostFactory()
    client.force_login(UserFactory())
    post_comment(client, post, comment="See https://a.example and www.b.example")
    assert Comment.objects.get().is_public is False


def test_a_comment_with_one_link_is_published(client):
    post = PostFactory()
    client.force_login(UserFactory())
    post_comment(client, post, comment="See https://a.example/report")
    assert Comment.objects.get().is_public is True


def test_an_anonymous_comment_with_links_is_held_after_confirmation(client):
    post = PostFactory()
    post_comment(client, post, comment="[one](https://a.example) [two](https://b.example)")
    page = confirm_from_outbox(client)
    assert "awaits approval" in page.content.decode()
    assert Comment.objects.get().is_public is False


def test_words_from_the_blocklist_hold_a_comment(client):
    BlockedWord.objects.create(word="  Casino  Bonus ")
    post = PostFactory()
    client.force_login(UserFactory())
    post_comment(client, post, comment="Great post. CASINO bonus here!")
    post_comment(client, post, comment="The casinobonus word alone is fine.")
    assert list(Comment.objects.order_by("pk").values_list("is_public", flat=True)) == [
        False,
        True,
    ]


def test_the_first_comment_from_a_new_address_can_be_held(client, settings):
    settings.COMMENTS_HOLD_FIRST_FROM_NEW_ADDRESS = True
    post = PostFactory()
    reader = UserFactory(email="new@example.org")
    client.force_login(reader)
    post_comment(client, post, comment="Hello")
    assert Comment.objects.get().is_public is False
    add_comment(post, user_email="new@example.org", text="Approved earlier")
    post_comment(client, post, comment="Hello again")
    assert Comment.objects.get(comment="Hello again").is_public is True


def test_a_held_reply_notifies_no_follower(client):
    post = PostFactory()
    root = add_comment(post, followup=True, user_email="root@example.org")
    client.force_login(UserFactory())
    post_comment(client, post, reply_to=str(root.pk), comment="https://a.example https://b.example")
    assert [m.to for m in mail.outbox if "root@example.org" in m.to] == []


def test_a_blacklisted_domain_gets_our_page_not_xtds_bare_400(client):
    BlackListedDomain.objects.create(domain="spam.example")
    response = post_comment(client, PostFactory(), email="x@spam.example")
    assert response.status_code == 400
    assert "We could not accept this comment" in response.content.decode()


# Closed posts


def test_posting_to_a_closed_post_is_refused_with_a_friendly_page(client):
    post = PostFactory(comments_open=False)
    response = post_comment(client, post)
    assert response.status_code == 403
    assert "Comments are closed" in response.content.decode()
    assert mail.outbox == []


def test_posting_to_an_auto_closed_post_is_refused(client, settings, now):
    settings.COMMENTS_CLOSE_AFTER_DAYS = 30
    post = PostFactory(publish_at=now - datetime.timedelta(days=30, minutes=1))
    response = post_comment(client, post, headers=JSON)
    assert response.status_code == 403
    assert response.json()["title"] == "Comments are closed"
    client.force_login(UserFactory())
    assert post_comment(client, post).status_code == 403
    assert Comment.objects.count() == 0


def test_posting_to_a_draft_is_refused(client):
    response = post_comment(client, PostFactory(draft=True))
    assert response.status_code == 404
    assert mail.outbox == []


# Confirmation mail limits and expiry: one mail a day per unconfirmed address


def test_one_confirmation_mail_per_address_until_it_is_confirmed(client, settings):
    settings.COMMENTS_PER_NETWORK_PER_MINUTE = 100
    post = PostFactory()
    assert post_comment(client, post, comment="First").status_code == 302
    refused = post_comment(client, post, comment="Second")
    assert refused.status_code == 429
    assert "Please check your email first" in refused.content.decode()
    assert len(mail.outbox) == 1
    confirm_from_outbox(client)
    assert post_comment(client, post, comment="Third").status_code == 302
    assert len([m for m in mail.outbox if m.to == ["ada@example.org"]]) == 2


def test_confirmation_links_expire(client, settings, monkeypatch, now):
    post = PostFactory()
    post_comment(client, post)
    max_age = datetime.timedelta(days=settings.COMMENTS_CONFIRMATION_MAX_AGE_DAYS)
    later = now + max_age + datetime.timedelta(minutes=1)  # just past the link's expiry
    monkeypatch.setattr("comments.receivers.timezone.now", lambda: later)
    response = confirm_from_outbox(client)
    assert "This link has expired" in response.content.decode()
    assert Comment.objects.count() == 0


# Newsletter consent: a confirmed commenter's address goes to whoever listens


@pytest.fixture
def consents():
    received = []

    def receiver(sender, **kwargs):
        received.append(kwargs)

    newsletter_consent_given.connect(receiver, dispatch_uid="test-consents")
    yield received
    newsletter_consent_given.disconnect(dispatch_uid="test-consents")


def test_the_newsletter_box_is_on_the_form_while_the_consent_signal_has_listeners(client):
    assert newsletter_consent_given.has_listeners(Comment)
    html = client.get(PostFactory().get_absolute_url()).content.decode()
    assert "Also send me the weekly newsletter" in html


def test_the_newsletter_box_is_absent_when_nobody_listens_for_consent(client, monkeypatch):
    # The newsletter app stays installed: only its receiver is disconnected, for this test.
    monkeypatch.setattr(newsletter_consent_given, "receivers", [])
    assert not newsletter_consent_given.has_listeners(Comment)
    assert "newsletter" not in CommentForm(PostFactory()).fields
    html = client.get(PostFactory().get_absolute_url()).content.decode()
    assert "Also send me the weekly newsletter" not in html


def test_newsletter_consent_is_sent_once_the_address_is_confirmed(
    client, consents, django_capture_on_commit_callbacks, now
):
    post = PostFactory()
    post_comment(client, post, newsletter="on", name="Ada Reader")
    assert consents == []
    with django_capture_on_commit_callbacks(execute=True):
        confirm_from_outbox(client)
    (consent,) = consents
    assert set(consent) == {
        "email",
        "name",
        "ip",
        "source_url",
        "consent_text",
        "confirmed_at",
        "signal",
    }
    assert consent["email"] == "ada@example.org" and consent["name"] == "Ada Reader"
    assert consent["ip"] == "127.0.0.1"
    assert consent["source_url"] == f"http://testserver{post.get_absolute_url()}"
    assert consent["consent_text"] == "Also send me the weekly newsletter"
    assert consent["confirmed_at"] >= now


def test_a_signed_in_reader_gives_newsletter_consent_at_once(
    client, consents, django_capture_on_commit_callbacks
):
    client.force_login(UserFactory(email="ines@example.org"))
    with django_capture_on_commit_callbacks(execute=True):
        post_comment(client, PostFactory(), newsletter="on")
    assert [c["email"] for c in consents] == ["ines@example.org"]


def test_no_consent_without_the_box_ticked(client, consents, django_capture_on_commit_callbacks):
    client.force_login(UserFactory())
    with django_capture_on_commit_callbacks(execute=True):
        post_comment(client, PostFactory())
    assert consents == []
