"""The public side of editions: archive, web version and the click counter."""

import pytest
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from blog.models import Post
from newsletter import delivery, editions
from newsletter.models import Edition, LinkClick
from newsletter.rendering import click_token
from tests.factories import PostFactory
from tests.newsletter.editions_support import make_edition
from tests.newsletter.factories import SubscriberFactory

pytestmark = pytest.mark.django_db


def sent_edition(**fields):
    edition = make_edition(**fields)
    editions.freeze_recipients(edition=edition, now=timezone.now())
    delivery.deliver(edition=edition)
    edition.refresh_from_db()
    assert edition.status == Edition.Status.SENT
    return edition


def test_the_archive_lists_sent_weekly_editions_only(client, django_assert_num_queries):
    SubscriberFactory()
    sent = [sent_edition(subject=f"Week {n}") for n in range(3)]
    make_edition(subject="Still a draft")
    client.get("/")  # warm caches unrelated to the archive
    with django_assert_num_queries(2):  # the count for pagination, the page of editions
        response = client.get(reverse("newsletter:edition-archive"))
    assert response.status_code == 200
    html = response.content.decode()
    for edition in sent:
        assert edition.get_absolute_url() in html
    assert "Still a draft" not in html


def test_the_web_version_shows_the_edition_with_direct_links(client, django_assert_num_queries):
    SubscriberFactory()
    edition = sent_edition()
    client.get(reverse("newsletter:edition-archive"))  # the page cache's state is now known
    with django_assert_num_queries(3):  # the edition, its posts, its headlines
        response = client.get(edition.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    for item in edition.items.select_related("post"):
        assert f'href="{item.post.get_absolute_url()}"' in html
        assert item.note in html
    assert "/newsletter/c/" not in html
    assert "Harbour bridge closes for repairs 1" in html


def test_a_post_unpublished_after_the_send_disappears_from_the_web_version(client):
    SubscriberFactory()
    edition = sent_edition()
    post = edition.items.first().post
    Post.objects.filter(pk=post.pk).update(status=Post.Status.DRAFT)
    html = client.get(edition.get_absolute_url()).content.decode()
    assert post.title not in html


def test_drafts_scheduled_and_post_emails_have_no_web_version(client, now):
    draft = make_edition()
    scheduled = make_edition(status=Edition.Status.SCHEDULED, send_at=timezone.now())
    post_email = editions.announce_post(
        post_id=PostFactory(publish_at=now).pk,
        now=timezone.now(),
    )
    assert post_email is not None and post_email.status == Edition.Status.SENDING
    for edition in (draft, scheduled, post_email):
        assert client.get(edition.get_absolute_url()).status_code == 404
    assert client.get("/newsletter/editions/999999/").status_code == 404


def test_the_web_version_exists_from_the_first_email_on(client):
    """The first recipients may open "read on the web" while the last are still waiting."""
    SubscriberFactory()
    edition = make_edition()
    editions.freeze_recipients(edition=edition, now=timezone.now())
    assert client.get(edition.get_absolute_url()).status_code == 200


def test_is_archived_agrees_with_the_archived_queryset():
    SubscriberFactory()
    make_edition(subject="draft")
    make_edition(subject="scheduled", status="scheduled", send_at=timezone.now())
    editions.freeze_recipients(edition=make_edition(subject="sending"), now=timezone.now())
    sent_edition(subject="sent")
    archived = set(Edition.objects.archived())
    for edition in Edition.objects.all():
        assert edition.is_archived == (edition in archived)
    assert {edition.subject for edition in archived} == {"sending", "sent"}


def test_archive_and_web_version_are_cacheable_for_anonymous_readers(client):
    SubscriberFactory()
    edition = sent_edition()
    for url in (reverse("newsletter:edition-archive"), edition.get_absolute_url()):
        response = client.get(url)
        assert response.status_code == 200
        assert not response.cookies
        assert "cookie" not in response.headers.get("Vary", "").lower()
        assert "public" in response.headers["Cache-Control"]


def test_sending_an_edition_refreshes_the_cached_archive(client):
    SubscriberFactory()
    archive = reverse("newsletter:edition-archive")
    assert "No edition has gone out yet" in client.get(archive).content.decode()
    edition = make_edition(subject="Fresh off the press")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(transaction, "on_commit", lambda callback, **kwargs: callback())
        editions.freeze_recipients(edition=edition, now=timezone.now())
        delivery.deliver(edition=edition)
    assert "Fresh off the press" in client.get(archive).content.decode()


def test_a_click_is_counted_and_redirected_to_the_edition_link(client):
    edition = make_edition()
    target = "https://news.example.org/bridge"
    token = click_token(edition_id=edition.pk, url=target)
    for _ in range(2):
        response = client.get(reverse("newsletter:click", kwargs={"token": token}))
        assert response.status_code == 302 and response["Location"] == target
        assert "max-age=0" in response.headers["Cache-Control"]  # every click reaches us
    client.head(reverse("newsletter:click", kwargs={"token": token}))
    assert LinkClick.objects.get(edition=edition, url=target).count == 2


def test_clicks_are_not_counted_when_counting_is_off(client, settings):
    settings.NEWSLETTER_CLICK_TRACKING = False
    edition = make_edition()
    token = click_token(edition_id=edition.pk, url="https://example.org/a")
    response = client.get(reverse("newsletter:click", kwargs={"token": token}))
    assert response.status_code == 302
    assert not LinkClick.objects.exists()


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "x" * 3000,
        "eyJlIjoxLCJ1IjoiaHR0cHM6Ly9ldmlsLmV4YW1wbGUifQ:forged",
        "ünïcödé",
        "%00",
        "..",
    ],
)
def test_a_forged_or_garbled_click_link_is_a_400_never_a_redirect(client, token):
    response = client.get(f"/newsletter/c/{token}/")
    assert response.status_code in (400, 404)
    assert "Location" not in response.headers
    assert not LinkClick.objects.exists()


def test_a_signed_link_to_a_non_web_scheme_is_refused(client):
    token = click_token(edition_id=1, url="javascript:alert(1)")
    response = client.get(reverse("newsletter:click", kwargs={"token": token}))
    assert response.status_code == 400


def test_a_click_link_signed_for_another_purpose_is_refused(client):
    token = signing.Signer(salt="newsletter.unsubscribe").sign_object(
        {"e": 1, "u": "https://evil.example"}
    )
    assert client.get(reverse("newsletter:click", kwargs={"token": token})).status_code == 400


@pytest.mark.parametrize("method", ["post", "put", "delete", "patch"])
def test_wrong_methods_on_public_edition_views_are_4xx(client, method):
    SubscriberFactory()
    edition = sent_edition()
    token = click_token(edition_id=edition.pk, url="https://example.org/")
    for url in (
        reverse("newsletter:edition-archive"),
        edition.get_absolute_url(),
        reverse("newsletter:click", kwargs={"token": token}),
    ):
        response = getattr(client, method)(url)
        assert 400 <= response.status_code < 500, (url, response.status_code)


@pytest.mark.parametrize("page", ["0", "-1", "abc", "99999", "1" * 400, "ü"])
def test_garbage_archive_pages_are_404_not_500(client, page):
    response = client.get(reverse("newsletter:edition-archive"), {"page": page})
    assert response.status_code == 404
