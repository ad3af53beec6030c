"""Every email names the site and, where there is one, the post; its HTML title is its subject.

django-comments-xtd's own subjects ("comment confirmation request", "new comment posted") read
as spam and say nothing of who writes: none of them may reach a reader.
"""

from urllib.parse import urlsplit

import lxml.html
import pytest

from comments import flags
from comments.accounts.signin import send_sign_in_email
from core.models import SiteIdentity
from tests.comments.support import ORIGIN, add_comment, link_in, post_comment
from tests.factories import PostFactory

pytestmark = pytest.mark.django_db(transaction=True)

XTD_SUBJECTS = {"comment confirmation request", "new comment posted"}


@pytest.fixture(autouse=True)
def _named_site(settings):
    settings.COMMENTS_RATE_LIMIT_PER_MINUTE = 100
    SiteIdentity.objects.create(site_name="Calder Bay Notes")


def html_title(message) -> str:
    html = message.get_body(("html",)).get_content()
    return lxml.html.document_fromstring(html).findtext(".//title")


def assert_named(message, *, post=None):
    subject = message["Subject"]
    assert subject not in XTD_SUBJECTS
    assert "Calder Bay Notes" in subject
    if post is not None:
        assert f"“{post.title}”" in subject
    assert html_title(message) == subject


def test_the_comment_confirmation_names_the_site_and_the_post(client, smtp_server):
    post = PostFactory(title="Trams before tunnels")
    post_comment(client, post, email="ada@example.org")
    [message] = smtp_server.messages
    assert message["Subject"] == "Confirm your comment on “Trams before tunnels” · Calder Bay Notes"
    assert_named(message, post=post)


def test_reply_and_author_emails_name_the_site_and_the_post(client, smtp_server):
    post = PostFactory(title="Trams before tunnels", author__email="author@example.org")
    post_comment(client, post, email="ada@example.org", followup="on")
    link = link_in(smtp_server.messages[-1], "/comments/confirm/")
    client.post(urlsplit(link).path, headers=ORIGIN)
    post_comment(client, post, email="bo@example.org", name="Bo", comment="The buses are late.")
    link = link_in(smtp_server.messages[-1], "/comments/confirm/")
    client.post(urlsplit(link).path, headers=ORIGIN)
    subjects = {m["To"]: m["Subject"] for m in smtp_server.messages}
    assert subjects["ada@example.org"] == "New reply on “Trams before tunnels” · Calder Bay Notes"
    assert subjects["author@example.org"] == (
        "New comment on “Trams before tunnels” · Calder Bay Notes"
    )
    for message in smtp_server.messages:
        assert_named(message, post=post)
        # The signature under the one "-- " delimiter names the site the admin set.
        assert "\n-- \r\nCalder Bay Notes\r\n" in message.get_body(("plain",)).get_content()


def test_the_hidden_comment_notice_names_the_site_and_the_post(
    smtp_server, django_capture_on_commit_callbacks
):
    post = PostFactory(title="Trams before tunnels", author__email="author@example.org")
    comment = add_comment(post)
    with django_capture_on_commit_callbacks(execute=True):
        flags.notify_comment_hidden(comment=comment, flags=3)
    [message] = [m for m in smtp_server.messages if "hidden" in m["Subject"]]
    assert message["Subject"] == (
        "A comment on “Trams before tunnels” was hidden after 3 readers flagged it"
        " · Calder Bay Notes"
    )
    assert_named(message, post=post)


def test_the_sign_in_link_names_the_site(smtp_server):
    send_sign_in_email(email="ada@example.org", url="https://x.example/account/sign-in/t/")
    [message] = smtp_server.messages
    assert message["Subject"] == "Your sign-in link for Calder Bay Notes"
    assert_named(message)
