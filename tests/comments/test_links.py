"""Issue 10, items 6, 9 and 11: the links we email about comments.

Item 6: opening a confirmation link (GET or HEAD, as a mail scanner does) publishes nothing
and subscribes nobody; the page's button (POST) does.
Item 9: confirmation and mute links are signed JSON, expire, and a confirmation is used
once; a link in xtd's old pickle format is never unpickled, even with a valid signature.
Item 11: after a key rotation (old key in SECRET_KEY_FALLBACKS), sign-in, confirmation and
mute links keep working.
"""

import builtins
import datetime
import email
import email.policy
import hashlib
import re
import time
from urllib.parse import urlsplit

import pytest
from django.core import mail, signing
from django.urls import reverse
from django_comments_xtd import signed as xtd_signed

from comments.links import CONFIRM_LINK, mute_token
from comments.models import Comment, PendingComment
from comments.signals import newsletter_consent_given
from tests.comments.support import ORIGIN, add_comment, form_data, link_in, post_comment
from tests.factories import PostFactory, UserFactory
from tests.test_settings import ROOT, run_manage

pytestmark = pytest.mark.django_db

OLD_KEY = "an-old-production-key-" + "x7Q" * 12
NEW_KEY = "the-new-production-key-" + "k9Z" * 12


def parsed(message):
    """A locmem message as a mail client reads it."""
    return email.message_from_bytes(message.message().as_bytes(), policy=email.policy.default)


def confirmation_path(index=-1) -> str:
    return urlsplit(link_in(parsed(mail.outbox[index]), "/comments/confirm/")).path


def key_of(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[1]


@pytest.fixture
def consents():
    received = []

    def receiver(sender, **kwargs):
        received.append(kwargs["email"])

    newsletter_consent_given.connect(receiver, dispatch_uid="test-link-consents")
    yield received
    newsletter_consent_given.disconnect(dispatch_uid="test-link-consents")


# Item 6: GET and HEAD change nothing


def test_opening_the_confirmation_link_publishes_nothing_until_the_button_is_pressed(
    client, consents, django_capture_on_commit_callbacks
):
    post = PostFactory()
    post_comment(client, post, newsletter="on", comment="Trams, then ferries.")
    path = confirmation_path()
    with django_capture_on_commit_callbacks(execute=True):
        page = client.get(path)
        assert client.head(path).status_code == 200
    assert page.status_code == 200
    html = page.content.decode()
    assert "Publish my comment" in html and "Trams, then ferries." in html
    assert f'<form method="post" action="{path}">' in html
    assert Comment.objects.count() == 0
    assert consents == []

    with django_capture_on_commit_callbacks(execute=True):
        published = client.post(path, headers=ORIGIN)
    assert "Your comment is published" in published.content.decode()
    assert Comment.objects.get().is_public
    assert consents == ["ada@example.org"]


def test_a_cross_site_post_to_the_confirmation_link_publishes_nothing(client):
    post_comment(client, PostFactory())
    response = client.post(confirmation_path(), headers={"origin": "https://evil.example"})
    assert response.status_code == 403
    assert Comment.objects.count() == 0


def test_a_mute_link_opened_by_a_scanner_mutes_nothing(client):
    post = PostFactory()
    follower = add_comment(post, user_email="bo@example.org", followup=True)
    path = reverse("comments-xtd-mute", args=[mute_token(post_pk=post.pk, email="bo@example.org")])
    assert client.get(path).status_code == 200
    assert client.head(path).status_code == 200
    follower.refresh_from_db()
    assert follower.followup
    assert client.post(path, headers=ORIGIN).status_code == 200
    follower.refresh_from_db()
    assert not follower.followup


# Item 9: signed JSON, expiring, single-use; old pickles never unpickled


def test_the_confirmation_link_is_signed_json_not_a_pickle(client):
    post = PostFactory()
    post_comment(client, post, comment="Ferries first.")
    key = key_of(confirmation_path())
    payload = PendingComment.objects.get(pk=CONFIRM_LINK.read(key)["k"]).payload
    assert payload["c"] == "Ferries first." and payload["e"] == "ada@example.org"
    with pytest.raises(xtd_signed.BadSignature):
        xtd_signed.loads(key)


def test_a_long_comments_confirmation_link_is_one_short_line(client):
    """The link names the waiting comment instead of carrying it (it made 1,200 characters)."""
    post = PostFactory()
    text = ("Ferries, tunnels and buses: a long thought, carefully argued. " * 50)[:2900].strip()
    post_comment(client, post, comment=text)
    link = link_in(parsed(mail.outbox[-1]), "/comments/confirm/")
    assert len(link) < 150, link  # the signature is most of it; the comment is not in it
    assert client.post(urlsplit(link).path, headers=ORIGIN).status_code == 200
    assert Comment.objects.get().comment == text


def test_a_link_that_carried_its_comment_still_confirms_until_it_expires(client):
    """Links emailed before the comments were kept on the server hold the comment itself."""
    post = PostFactory()
    post_comment(client, post, comment="Sent the old way.")
    row = PendingComment.objects.get()
    old_style = CONFIRM_LINK.sign(row.payload, compress=True)
    row.delete()
    path = reverse("comments-xtd-confirm", args=[old_style])
    assert client.post(path, headers=ORIGIN).status_code == 200
    assert Comment.objects.get().comment == "Sent the old way."


def test_waiting_comments_go_once_their_link_has_expired(client, settings, now):
    from comments.links import forget_expired_pending_comments

    settings.COMMENTS_CONFIRMATION_MAX_AGE_DAYS = 3
    post_comment(client, PostFactory(), comment="Kept a while.")
    assert forget_expired_pending_comments(now=now + datetime.timedelta(days=3)) == 0
    assert PendingComment.objects.count() == 1
    assert forget_expired_pending_comments(now=now + datetime.timedelta(days=4)) == 1
    assert PendingComment.objects.count() == 0


def test_a_confirmation_link_is_used_once(client):
    post = PostFactory()
    post_comment(client, post)
    path = confirmation_path()
    assert client.post(path, headers=ORIGIN).status_code == 200
    Comment.objects.all().delete()  # the author deleted it in the admin
    again = client.post(path, headers=ORIGIN)
    assert again.status_code == 404
    assert Comment.objects.count() == 0


def test_a_confirmation_link_expires(client, settings, monkeypatch):
    post = PostFactory()
    days = settings.COMMENTS_CONFIRMATION_MAX_AGE_DAYS
    then = int(time.time()) - days * 86400 - 60
    data = form_data(post)  # a fresh form stamp; only the confirmation link is old
    with monkeypatch.context() as patched:
        patched.setattr(signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(then))
        client.post(reverse("comments:post"), data, headers=ORIGIN)
    path = confirmation_path()
    assert client.get(path).status_code == 410
    assert client.post(path, headers=ORIGIN).status_code == 410
    assert Comment.objects.count() == 0


def test_a_mute_link_expires(client, settings, monkeypatch):
    post = PostFactory()
    add_comment(post, user_email="bo@example.org", followup=True)
    then = int(time.time()) - settings.COMMENTS_MUTE_LINK_MAX_AGE_DAYS * 86400 - 60
    with monkeypatch.context() as patched:
        patched.setattr(signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(then))
        token = mute_token(post_pk=post.pk, email="bo@example.org")
    path = reverse("comments-xtd-mute", args=[token])
    assert client.post(path, headers=ORIGIN).status_code == 410
    assert Comment.objects.get().followup


class Detonator:
    """What an attacker holding SECRET_KEY would sign: unpickling it runs code."""

    def __reduce__(self):
        return (exec, ("import builtins; builtins.DETONATED = True",))


@pytest.mark.parametrize("name", ["comments-xtd-confirm", "comments-xtd-mute"])
def test_a_validly_signed_pickle_link_is_never_unpickled(client, settings, name):
    key = xtd_signed.dumps(Detonator(), compress=True, extra_key=settings.COMMENTS_XTD_SALT)
    path = reverse(name, args=[key.decode()])
    for response in (client.get(path), client.post(path, headers=ORIGIN)):
        assert response.status_code == 410
        assert "no longer valid" in response.content.decode()
    assert not hasattr(builtins, "DETONATED")


@pytest.mark.parametrize("name", ["comments-xtd-confirm", "comments-xtd-mute"])
def test_a_forged_pickle_link_is_not_found(client, name):
    key = xtd_signed.dumps({"x": 1}, key=b"not-our-key")
    assert client.get(reverse(name, args=[key.decode()])).status_code == 404


def test_follow_up_mail_carries_a_signed_json_mute_link(client, django_capture_on_commit_callbacks):
    post = PostFactory()
    add_comment(post, user_email="bo@example.org", user_name="Bo", followup=True)
    client.force_login(UserFactory(email="cy@example.org"))
    with django_capture_on_commit_callbacks(execute=True):
        post_comment(client, post, comment="A reply Bo hears about.")
    (notice,) = [m for m in mail.outbox if m.to == ["bo@example.org"]]
    body = parsed(notice).get_body(("plain",)).get_content()
    token = re.search(r"/comments/mute/([^/\s]+)/", body).group(1)
    assert ":" in token
    with pytest.raises(xtd_signed.BadSignature):
        xtd_signed.loads(token)


def test_production_refuses_to_start_with_the_development_key():
    settings_source = (ROOT / "config" / "settings" / "base.py").read_text()
    # The literal development key, as settings fall back to it with DEBUG on.
    development_key = re.search(r'SECRET_KEY = "(django-insecure[^"]+)"', settings_source)[1]
    result = run_manage("check", DEBUG="0", SECRET_KEY=development_key)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "SECRET_KEY" in result.stderr


# Item 11: key rotation


def xtd_salt(key: str) -> bytes:
    """COMMENTS_XTD_SALT as config/settings/base.py derives it from SECRET_KEY."""
    return hashlib.sha256(f"comments-xtd:{key}".encode()).digest()


@pytest.fixture
def rotate(settings):
    """Production's rotation: new SECRET_KEY, the old one in SECRET_KEY_FALLBACKS."""
    settings.SECRET_KEY = OLD_KEY
    settings.SECRET_KEY_FALLBACKS = []
    settings.COMMENTS_XTD_SALT = xtd_salt(OLD_KEY)

    def rotate_now():
        settings.SECRET_KEY = NEW_KEY
        settings.SECRET_KEY_FALLBACKS = [OLD_KEY]
        settings.COMMENTS_XTD_SALT = xtd_salt(NEW_KEY)

    return rotate_now


def test_a_confirmation_link_survives_a_key_rotation(client, rotate):
    post_comment(client, PostFactory())
    path = confirmation_path()
    rotate()
    assert client.get(path).status_code == 200
    assert client.post(path, headers=ORIGIN).status_code == 200
    assert Comment.objects.get().is_public


def test_a_mute_link_survives_a_key_rotation(client, rotate):
    post = PostFactory()
    add_comment(post, user_email="bo@example.org", followup=True)
    path = reverse("comments-xtd-mute", args=[mute_token(post_pk=post.pk, email="bo@example.org")])
    rotate()
    assert client.post(path, headers=ORIGIN).status_code == 200
    assert not Comment.objects.get().followup


def test_a_sign_in_link_survives_a_key_rotation(client, rotate, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:sign-in"), {"email": "zoe@example.org"})
    (message,) = mail.outbox
    body = parsed(message).get_body(("plain",)).get_content()
    path = re.search(r"http://testserver(/account/sign-in/[^\s]+/)", body).group(1)
    rotate()
    assert client.get(path).status_code == 200
    assert client.post(path).status_code == 302
    assert client.session.get("_auth_user_id")


def test_links_signed_with_a_retired_key_stop_working(client, rotate, settings):
    post_comment(client, PostFactory())
    path = confirmation_path()
    rotate()
    settings.SECRET_KEY_FALLBACKS = []
    assert client.post(path, headers=ORIGIN).status_code == 404


def test_an_old_pickle_link_signed_before_a_rotation_is_still_recognised_not_read(client, rotate):
    old_key = OLD_KEY.encode()
    key = xtd_signed.dumps(Detonator(), key=old_key, compress=True, extra_key=xtd_salt(OLD_KEY))
    rotate()
    response = client.post(reverse("comments-xtd-confirm", args=[key.decode()]), headers=ORIGIN)
    assert response.status_code == 410
    assert not hasattr(builtins, "DETONATED")
