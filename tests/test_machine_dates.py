"""Every `datetime` attribute on the public pages is a valid HTML date or date and time.

Django's "c" date format prints microseconds (`…T10:30:00.123456+00:00`), which HTML's
"valid global date and time string" does not allow (at most three digits of a second), so the
Nu checker rejects the page. Templates print machine dates with the site's one filter,
`datetime_attr`.
"""

import datetime
import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from lxml import html as lxml_html

from blog.models import Correction, Tag
from comments.models import Comment
from newsletter.models import Edition
from tests.comments.support import ORIGIN, add_comment, link_in, post_comment
from tests.factories import PostFactory
from tests.newsletter.editions_support import make_edition

pytestmark = pytest.mark.django_db

# https://html.spec.whatwg.org/multipage/common-microsyntaxes.html: a valid date string, or a
# valid global date and time string (seconds optional, one to three digits of a fraction).
VALID = re.compile(
    r"\d{4}-\d{2}-\d{2}"
    r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:?\d{2}))?"
)


def datetime_attributes(page: str) -> list[str]:
    return lxml_html.fromstring(page).xpath("//@datetime")


def published_page(client, post) -> str:
    """Comment anonymously and follow the confirmation link: the "published" page."""
    import email
    import email.policy

    post_comment(client, post, comment="Teh buses are late.")
    message = email.message_from_bytes(
        mail.outbox[-1].message().as_bytes(), policy=email.policy.default
    )
    link = urlsplit(link_in(message, "/comments/confirm/")).path
    return client.post(link, headers=ORIGIN).content.decode()


def test_every_datetime_attribute_on_the_public_pages_is_valid_html(client, settings):
    settings.COMMENTS_CLOSE_AFTER_DAYS = 30  # the post page then says when comments close
    with_microseconds = timezone.now().replace(microsecond=123456) - datetime.timedelta(days=1)
    post = PostFactory(title="Buses first", publish_at=with_microseconds)
    tag = Tag.objects.create(name="Transit", slug="transit")
    post.tags.add(tag)
    Correction.objects.create(post=post, noted_at=with_microseconds, note="A name was misspelt.")
    comment = add_comment(post, text="A fair point.")
    Comment.objects.filter(pk=comment.pk).update(submit_date=with_microseconds)
    edition = make_edition(posts=1, headlines=1)
    Edition.objects.filter(pk=edition.pk).update(
        status=Edition.Status.SENT, frozen_at=with_microseconds, finished_at=timezone.now()
    )
    local = timezone.localtime(post.publish_at)
    pages = {
        "home": reverse("blog:post-list"),
        "post": post.get_absolute_url(),
        "tag": tag.get_absolute_url(),
        "month": reverse("blog:archive-month", kwargs={"year": local.year, "month": local.month}),
        "search": f"{reverse('blog:search')}?q=buses",
        "editions": reverse("newsletter:edition-archive"),
        "edition": edition.get_absolute_url(),
        "reply": reverse("comments:reply", args=[comment.pk]),
    }
    found = {}
    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, name
        found[name] = datetime_attributes(response.content.decode())

    published = published_page(client, PostFactory())
    found["published"] = datetime_attributes(published)
    edit_link = re.search(r'href="(/comments/edit/\d+/\?token=[^"]+)"', published)[1]
    found["edit"] = datetime_attributes(client.get(edit_link.replace("&amp;", "&")).content)

    assert all(found.values()), {name: values for name, values in found.items() if not values}
    invalid = {
        name: [value for value in values if not VALID.fullmatch(value)]
        for name, values in found.items()
    }
    assert not any(invalid.values()), invalid
