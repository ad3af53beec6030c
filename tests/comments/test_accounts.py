import re
import time

import pytest
from django.contrib.auth import get_user_model
from django.core import mail, signing
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from comments.accounts.links import make_sign_in_token
from tests.comments.support import add_comment
from tests.factories import PostFactory, StaffFactory, UserFactory
from tests.support import without_clock

pytestmark = pytest.mark.django_db

User = get_user_model()
SIGN_IN = reverse("accounts:sign-in")
LINK = re.compile(r"http://testserver(/account/sign-in/[^\s\"<>]+/)")


def request_link(client, email, **extra):
    return client.post(SIGN_IN, {"email": email, **extra}, REMOTE_ADDR="203.0.113.9")


def link_path_from(message) -> str:
    """The sign-in link as a reader's mail client shows it, in the plain-text part."""
    return LINK.search(message.get_body(("plain",)).get_content()).group(1)


def signed_in_user_id(client):
    return client.session.get("_auth_user_id")


def minutes_old_token(monkeypatch, *, email, minutes, user=None, next_url=""):
    """A link minted `minutes` ago (the signer's clock set back while it signs)."""
    then = int(time.time()) - minutes * 60
    with monkeypatch.context() as patched:
        patched.setattr(signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(then))
        return make_sign_in_token(email=email, next_url=next_url, user=user)


@pytest.mark.django_db(transaction=True)
def test_reader_signs_in_with_the_link_from_a_real_email(client, smtp_server):
    response = request_link(client, "Zoe.Mueller@Example.org")
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:sign-in-sent")
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["To"] == "zoe.mueller@example.org"
    assert message["Subject"] == "Your sign-in link for The Dispatch"
    path = link_path_from(message)
    assert f'href="http://testserver{path}"' in message.get_body(("html",)).get_content()

    page = client.get(path)
    assert page.status_code == 200
    assert 'type="submit">Sign in</button>' in page.content.decode()
    assert signed_in_user_id(client) is None, "opening the link (a mail scanner) signs nobody in"
    assert not User.objects.exists()

    response = client.post(path)
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:my-comments")
    reader = User.objects.get()
    assert signed_in_user_id(client) == str(reader.pk)
    assert reader.email == "zoe.mueller@example.org"
    assert reader.username == "zoe.mueller"
    assert not reader.has_usable_password()
    assert not reader.is_staff and not reader.is_superuser
    assert "My comments" in client.get(response["Location"]).content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_used_link_no_longer_works(client, smtp_server):
    request_link(client, "zoe@example.org")
    path = link_path_from(smtp_server.messages[0])
    client.post(path)
    client.post(reverse("accounts:sign-out"))

    again = client.get(path)
    assert again.status_code == 400
    assert "This sign-in link no longer works" in again.content.decode()
    assert client.post(path).status_code == 400
    assert signed_in_user_id(client) is None
    assert User.objects.count() == 1


def test_a_link_older_than_the_setting_is_refused(client, settings, monkeypatch):
    token = minutes_old_token(monkeypatch, email="zoe@example.org", minutes=31)
    path = reverse("accounts:sign-in-confirm", kwargs={"token": token})
    assert client.get(path).status_code == 400
    assert client.post(path).status_code == 400
    assert signed_in_user_id(client) is None

    settings.READER_SIGN_IN_MAX_AGE = 60 * 60
    assert client.get(path).status_code == 200
    assert client.post(path).status_code == 302
    assert signed_in_user_id(client) is not None


def test_an_existing_reader_signs_in_to_the_same_account(client):
    reader = UserFactory(username="zoe", email="zoe@example.org")
    token = make_sign_in_token(email="zoe@example.org", next_url="", user=reader)
    client.post(reverse("accounts:sign-in-confirm", kwargs={"token": token}))
    assert signed_in_user_id(client) == str(reader.pk)
    assert User.objects.count() == 1
    reader.refresh_from_db()
    assert reader.last_login is not None


def test_two_quick_presses_of_a_new_readers_link_make_one_account(client, monkeypatch):
    token = make_sign_in_token(email="zoe@example.org", next_url="", user=None)
    path = reverse("accounts:sign-in-confirm", kwargs={"token": token})
    # Both requests read "no account yet" before either has written one.
    monkeypatch.setattr("comments.accounts.signin.reader_for", lambda email: None)
    assert Client().post(path).status_code == 302
    assert Client().post(path).status_code == 400
    assert User.objects.filter(email="zoe@example.org").count() == 1


def test_the_link_again_in_the_signed_in_browser_leads_to_my_comments(client):
    token = make_sign_in_token(email="zoe@example.org", next_url="", user=None)
    path = reverse("accounts:sign-in-confirm", kwargs={"token": token})
    client.post(path)
    for response in (client.get(path), client.post(path)):
        assert response.status_code == 302
        assert response["Location"] == reverse("accounts:my-comments")


def test_a_link_made_before_a_newer_sign_in_is_dead(client):
    reader = UserFactory(username="zoe", email="zoe@example.org")
    first = make_sign_in_token(email="zoe@example.org", next_url="", user=reader)
    second = make_sign_in_token(email="zoe@example.org", next_url="", user=reader)
    client.post(reverse("accounts:sign-in-confirm", kwargs={"token": second}))
    other_browser = Client()
    response = other_browser.post(reverse("accounts:sign-in-confirm", kwargs={"token": first}))
    assert response.status_code == 400
    assert signed_in_user_id(other_browser) is None


def test_a_tampered_link_is_refused(client):
    token = make_sign_in_token(email="zoe@example.org", next_url="", user=None)
    forged = token.replace(token[5], "A" if token[5] != "A" else "B", 1)
    response = client.post(reverse("accounts:sign-in-confirm", kwargs={"token": forged}))
    assert response.status_code == 400
    assert not User.objects.exists()


def test_the_answer_is_the_same_for_known_unknown_and_staff_addresses(
    client, django_capture_on_commit_callbacks
):
    UserFactory(username="known", email="known@example.org")
    StaffFactory(username="author", email="author@example.org")
    answers = []
    for email in ("known@example.org", "nobody@example.org", "author@example.org"):
        with django_capture_on_commit_callbacks(execute=True):
            response = request_link(Client(), email)
        sent_page = Client().get(response["Location"])
        answers.append(
            (response.status_code, response["Location"], without_clock(sent_page.content))
        )
    assert answers[0] == answers[1] == answers[2]
    assert sorted(message.to[0] for message in mail.outbox) == [
        "known@example.org",
        "nobody@example.org",
    ], "a staff address never gets a password-less way in"


def test_a_staff_account_cannot_be_entered_with_a_link(client):
    author = StaffFactory(username="author", email="author@example.org")
    token = make_sign_in_token(email="author@example.org", next_url="", user=author)
    response = client.post(reverse("accounts:sign-in-confirm", kwargs={"token": token}))
    assert response.status_code == 400
    assert signed_in_user_id(client) is None


def test_too_many_links_for_one_address_get_the_429_page(client):
    for _ in range(3):
        assert request_link(client, "zoe@example.org").status_code == 302
    response = request_link(client, "ZOE@example.org")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Too many attempts" in response.content.decode()
    assert request_link(client, "someone-else@example.org").status_code == 302


def test_too_many_requests_from_one_network_get_the_429_page(client):
    for number in range(10):
        assert request_link(client, f"reader{number}@example.org").status_code == 302
    response = client.post(SIGN_IN, {"email": "one-more@example.org"}, REMOTE_ADDR="203.0.113.77")
    assert response.status_code == 429
    elsewhere = client.post(SIGN_IN, {"email": "one-more@example.org"}, REMOTE_ADDR="198.51.100.4")
    assert elsewhere.status_code == 302


def test_an_invalid_address_is_a_form_error(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = request_link(client, "not-an-address")
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.content.decode()
    assert mail.outbox == []


def test_the_sign_in_form_is_csrf_protected_and_never_cached():
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(SIGN_IN)
    assert 'name="csrfmiddlewaretoken"' in page.content.decode()
    assert "no-cache" in page["Cache-Control"] or "private" in page["Cache-Control"]
    assert browser.post(SIGN_IN, {"email": "zoe@example.org"}).status_code == 403


def test_the_reader_returns_to_the_page_they_came_from(client, django_capture_on_commit_callbacks):
    post = PostFactory()
    page = client.get(SIGN_IN, {"next": post.get_absolute_url()})
    assert f'value="{post.get_absolute_url()}"' in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        request_link(client, "zoe@example.org", next=post.get_absolute_url())
    path = LINK.search(mail.outbox[0].body).group(1)
    assert client.post(path)["Location"] == post.get_absolute_url()


def test_a_link_to_another_site_is_not_followed_after_sign_in(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        request_link(client, "zoe@example.org", next="https://evil.example/phish")
    path = LINK.search(mail.outbox[0].body).group(1)
    assert client.post(path)["Location"] == reverse("accounts:my-comments")


def test_flagging_sends_an_anonymous_reader_to_sign_in_and_back(client):
    comment = add_comment(PostFactory())
    flag_page = reverse("comments-flag", args=[comment.pk])
    response = client.get(flag_page)
    assert response.status_code == 302
    assert response["Location"] == f"{SIGN_IN}?next={flag_page}"
    form_page = client.get(response["Location"]).content.decode()
    assert f'name="next" value="{flag_page}"' in form_page


def test_sign_out_needs_a_post(client):
    reader = UserFactory(username="zoe", email="zoe@example.org")
    client.force_login(reader)
    assert client.get(reverse("accounts:sign-out")).status_code == 405
    assert signed_in_user_id(client) == str(reader.pk)
    response = client.post(reverse("accounts:sign-out"))
    assert response.status_code == 302
    assert signed_in_user_id(client) is None


def test_my_comments_needs_sign_in(client):
    response = client.get(reverse("accounts:my-comments"))
    assert response.status_code == 302
    assert response["Location"].startswith(f"{SIGN_IN}?next=")


def test_my_comments_lists_only_mine_with_their_status(client):
    post = PostFactory(title="Ferries before flyovers")
    zoe = UserFactory(username="zoe", email="zoe@example.org")
    other = UserFactory(username="max", email="max@example.org")
    public = add_comment(post, user=zoe, text="Public words from Zoë")
    add_comment(post, user=zoe, text="Held words from Zoë", is_public=False)
    add_comment(post, user=other, user_email="max@example.org", text="Max was here")
    client.force_login(zoe)

    html = client.get(reverse("accounts:my-comments")).content.decode()
    assert "Public words from Zoë" in html and "Published" in html
    assert "Held words from Zoë" in html and "Awaiting moderation" in html
    assert "Max was here" not in html
    assert f'href="{post.get_absolute_url()}#c{public.pk}"' in html
    assert "Ferries before flyovers" in html


def test_my_comments_runs_the_same_queries_for_3_or_20_comments(client):
    zoe = UserFactory(username="zoe", email="zoe@example.org")
    posts = PostFactory.create_batch(3)
    client.force_login(zoe)

    def queries_for_page():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("accounts:my-comments")).status_code == 200
        return len(queries)

    for post in posts:
        add_comment(post, user=zoe)
    few = queries_for_page()
    for number in range(22):
        add_comment(posts[number % 3], user=zoe, text=f"Comment number {number}")
    many = queries_for_page()
    assert few == many <= 6
    second = client.get(reverse("accounts:my-comments"), {"page": 2})
    assert len(second.context["comment_list"]) == 5
