"""The site's identity: filled in by the writer in the admin, the settings until then.

Mail never comes from @localhost: the default sender and every Message-ID are on the host
of SITE_URL. All automated mail says so (Auto-Submitted, RFC 3834).
"""

import email
import email.policy
import re

import pytest
from django.core import mail
from django.core.mail import EmailMessage, mail_admins
from django.urls import reverse

from core import checklist, identity
from core.mail import UnfoldedHeader, templated_message
from core.models import OutgoingEmail, SiteIdentity
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

IDENTITY_PAGE = reverse("admin:core_siteidentity_change", args=[1])


@pytest.fixture
def fresh_site(settings):
    """What a fresh clone runs with: nothing about the sender set anywhere."""
    settings.SITE_URL = "https://opinion.example.org"
    settings.SITE_NAME = "The Dispatch"
    settings.DEFAULT_FROM_EMAIL = "The Dispatch <noreply@opinion.example.org>"
    settings.NEWSLETTER_POSTAL_ADDRESS = ""


def raw_of(message: EmailMessage) -> bytes:
    return message.message(policy=email.policy.SMTP).as_bytes()


def head_of(raw: bytes) -> bytes:
    return raw.split(b"\r\n\r\n", 1)[0]


def test_the_settings_stand_in_until_the_writer_fills_the_identity_in(fresh_site):
    site = identity.current()
    assert site.site_name == "The Dispatch"
    assert site.from_header == "The Dispatch <noreply@opinion.example.org>"
    assert site.reply_to == [] and site.postal_address == ""
    assert (site.has_site_name, site.has_sender) == (False, False)
    keys = {item.key for item in checklist.missing()}
    assert {"site-name", "sender-address", "postal-address"} <= keys


def test_what_the_writer_saves_wins_at_once_in_pages_and_mail(
    fresh_site, client, django_capture_on_commit_callbacks
):
    assert "Calder Bay Notes" not in client.get("/").content.decode()  # page and name cached
    with django_capture_on_commit_callbacks(execute=True):
        SiteIdentity.objects.create(
            site_name="Calder Bay Notes",
            sender_address="ada@calderbay.example",
            reply_to_address="letters@calderbay.example",
            postal_address="1 Harbour Street",
        )
    site = identity.current()
    assert site.from_header == "Calder Bay Notes <ada@calderbay.example>"
    assert site.reply_to == ["letters@calderbay.example"]
    assert "Calder Bay Notes" in client.get("/").content.decode()
    assert "site-name" not in {item.key for item in checklist.missing()}
    assert checklist.missing(before_sending=True) == []


def test_the_identity_page_is_one_form_that_a_get_never_creates(fresh_site, client):
    client.force_login(StaffFactory())
    assert client.get(reverse("admin:core_siteidentity_changelist")).url == IDENTITY_PAGE
    page = client.get(IDENTITY_PAGE)
    assert page.status_code == 200
    assert 'placeholder="noreply@opinion.example.org"' in page.content.decode()
    assert not SiteIdentity.objects.exists()
    response = client.post(
        IDENTITY_PAGE,
        {
            "site_name": "Calder Bay Notes",
            "sender_name": "",
            "sender_address": "ada@calderbay.example",
            "reply_to_address": "",
            "postal_address": "1 Harbour Street",
        },
    )
    assert response.status_code == 302
    assert SiteIdentity.objects.get().pk == 1
    assert identity.current().sender_name == "Calder Bay Notes"
    assert client.get(reverse("admin:core_siteidentity_delete", args=[1])).status_code == 403


def test_no_mail_comes_from_localhost_and_every_message_id_is_on_the_site_domain(fresh_site):
    message = templated_message(
        template="emails/accounts/sign_in",
        subject="Your sign-in link",
        to=["ada@example.org"],
        context={"url": "https://opinion.example.org/x", "minutes": 30},
    )
    head = head_of(raw_of(message))
    assert b"From: The Dispatch <noreply@opinion.example.org>" in head
    assert re.search(rb"\r\nMessage-ID: <[^@>]+@opinion\.example\.org>\r\n", head)
    assert b"localhost" not in head
    assert b"Auto-Submitted: auto-generated" in head
    assert b"Precedence:" not in head  # transactional, not bulk


def test_the_shipped_default_sender_is_on_the_site_url_host():
    from config import env

    assert env.mail_domain("https://opinion.example.org") == "opinion.example.org"
    assert env.mail_domain("http://127.0.0.1:8000") == "[127.0.0.1]"
    assert env.mail_domain("http://localhost:8000") == "[127.0.0.1]"


def test_error_mail_to_admins_is_dressed_too(fresh_site, settings):
    settings.ADMINS = ["ops@example.org"]
    settings.SERVER_EMAIL = settings.DEFAULT_FROM_EMAIL
    settings.MAILERS = {
        **settings.MAILERS,
        "default": {
            "BACKEND": "core.mail.QueuedEmailBackend",
            "OPTIONS": {"deliver_using": "transport"},
        },
    }
    mail_admins("Broken page", "Traceback …")
    head = head_of(bytes(OutgoingEmail.objects.get().message))
    assert b"Auto-Submitted: auto-generated" in head
    assert b"localhost" not in head


def test_a_list_header_is_folded_between_uris_never_inside_one(fresh_site):
    https = "<https://opinion.example.org/newsletter/unsubscribe/" + "t" * 90 + "/>"
    value = f"{https}, <mailto:unsubscribe@opinion.example.org>"
    message = EmailMessage("Hi", "Body", to=["ada@example.org"])
    message.extra_headers["List-Unsubscribe"] = UnfoldedHeader("List-Unsubscribe", value)
    head = head_of(raw_of(message))
    assert f"List-Unsubscribe: {https},\r\n <mailto:unsubscribe@opinion.example.org>".encode() in (
        head
    )
    assert b"=?" not in head
    parsed = email.message_from_bytes(raw_of(message), policy=email.policy.default)
    assert parsed["List-Unsubscribe"] == value
    assert mail.outbox == []


def test_a_development_site_on_an_ip_address_still_sends(settings, smtp_server):
    settings.SITE_URL = "http://127.0.0.1:8000"
    settings.DEFAULT_FROM_EMAIL = "The Dispatch <noreply@[127.0.0.1]>"
    message = templated_message(
        template="emails/accounts/sign_in",
        subject="Your sign-in link",
        to=["ada@example.org"],
        context={"url": "http://127.0.0.1:8000/x", "minutes": 30},
    )
    message.send(using="transport")
    [raw] = smtp_server.raw
    assert b"From: The Dispatch <noreply@[127.0.0.1]>" in raw
    assert re.search(rb"Message-ID: <[^@>]+@\[127\.0\.0\.1\]>", raw)
    assert smtp_server.collector.envelopes[0][0] == "noreply@[127.0.0.1]"


def test_the_admin_header_follows_the_name_saved_in_the_admin(
    client, django_capture_on_commit_callbacks
):
    client.force_login(StaffFactory())
    with django_capture_on_commit_callbacks(execute=True):
        SiteIdentity.objects.create(site_name="Calder Bay Notes")
    page = client.get(reverse("admin:index")).content.decode()
    assert "Calder Bay Notes — writing desk" in page


def test_the_name_set_in_the_admin_reaches_feeds_and_link_previews(client):
    """Not only pages and emails: feed titles and the JSON-LD publisher follow it too."""
    import json

    from tests.factories import PostFactory

    PostFactory(title="Trams before tunnels")
    SiteIdentity.objects.create(site_name="Calder Bay Notes")
    feed = client.get(reverse("blog:feed-rss")).content.decode()
    assert "<title>Calder Bay Notes</title>" in feed
    comments_feed = client.get(reverse("comments:feed")).content.decode()
    assert "Comments on Calder Bay Notes" in comments_feed
    home = client.get(reverse("blog:post-list")).content.decode()
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', home, re.S)
    assert [json.loads(block)["publisher"]["name"] for block in blocks] == ["Calder Bay Notes"]


def test_a_page_reads_the_identity_from_the_shared_cache_once_not_per_use(
    client, monkeypatch, settings
):
    """Header, titles, link previews and JSON-LD all print it: one round trip serves them."""
    settings.PAGE_CACHE_LOCAL_SECONDS = 60
    from django.core.cache import cache

    from tests.factories import PostFactory

    post = PostFactory()
    reads = []
    original = cache.get
    monkeypatch.setattr(
        cache,
        "get",
        lambda key, *args, **kwargs: (
            (key == identity.CACHE_KEY and reads.append(key)) or original(key, *args, **kwargs)
        ),
    )
    signed_in = {"cookie": "sessionid=not-a-session"}  # past the page cache: a real render
    client.get(post.get_absolute_url(), headers=signed_in)
    client.get(reverse("blog:post-list"), headers=signed_in)
    assert len(reads) == 1


def test_a_name_saved_by_another_process_shows_once_the_local_copy_is_old(settings):
    from django.core.cache import cache

    settings.PAGE_CACHE_LOCAL_SECONDS = 60

    assert identity.current().site_name == settings.SITE_NAME
    cache.set(identity.CACHE_KEY, {"site_name": "Calder Bay Notes"}, None)  # saved elsewhere
    assert identity.current().site_name == settings.SITE_NAME
    settings.PAGE_CACHE_LOCAL_SECONDS = 0
    assert identity.current().site_name == "Calder Bay Notes"


def test_a_setting_changed_since_the_last_page_counts_at_once(fresh_site, settings):
    """The merged identity is kept per process for what it is made of: the stored values
    and the settings it reads, so a changed setting is never answered from before."""
    assert identity.current() is identity.current(), "merged once, not per use"
    settings.SITE_NAME = "The Evening Dispatch"
    settings.SITE_URL = "https://evening.example.org"
    settings.DEFAULT_FROM_EMAIL = "webmaster@localhost"
    site = identity.current()
    assert site.site_name == "The Evening Dispatch"
    assert site.sender_address == "webmaster@localhost"
    settings.DEFAULT_FROM_EMAIL = ""
    assert identity.current().sender_address == "noreply@evening.example.org"
