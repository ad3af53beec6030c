"""A small site with one of everything the archive carries, and the archive read back."""

import datetime
import io
import json
import zipfile

from django.utils import timezone

from blog import images
from blog.models import AuthorProfile, Correction, Source, Tag
from comments.models import Comment
from core.transfer import export
from newsletter import subscriptions
from newsletter.models import Subscriber
from tests.comments.support import add_comment
from tests.factories import ImageFactory, PostFactory, StaffFactory
from tests.newsletter.factories import SubscriberFactory

HOSTILE_TITLE = 'yes: "no"\n---\nslug: evil \u2028 # not a comment'


def make_site(*, now: datetime.datetime) -> dict:
    """Posts (published, renamed, draft), a cover image, a thread with a held and a deleted
    reply, and subscribers in every state, one of them erased."""
    writer = StaffFactory(username="writer", email="writer@example.org")
    AuthorProfile.objects.create(user=writer, display_name="Maren Adair", bio="Writes *OpEds*.")
    tag = Tag.objects.create(name="Transport", slug="transport", description="Buses, trains.")
    post = PostFactory(
        author=writer,
        title="Buses first",
        slug="buses-first-draft-title",
        featured=True,
        comments_open=False,
        publish_at=now - datetime.timedelta(days=3),
    )
    post.tags.add(tag)
    post.slug = "buses-first"
    post.save()  # leaves the old slug behind, a 301
    cover = ImageFactory(post=post, is_cover=True, caption="Tuesday", credit="M. Adair")
    images.make_renditions(cover)  # as the worker does once the upload commits
    Source.objects.create(
        post=post, publisher="Harbour Ledger", title="The vote", url="https://example.com/v"
    )
    Correction.objects.create(post=post, note="An earlier version gave the wrong date.")
    hostile = PostFactory(author=writer, title=HOSTILE_TITLE, slug="hostile")
    draft = PostFactory(author=writer, title="Unfinished", slug="unfinished", draft=True)

    top = add_comment(post, text="The buses are late.", ip_address="203.0.113.77")
    reply = add_comment(post, text="Not on my line.", parent=top, user_name="Ada")
    held = add_comment(post, text="Held for a look.", parent=top, is_public=False)
    deleted = add_comment(post, text="Gone.", parent=reply)
    Comment.objects.filter(pk=deleted.pk).update(  # as its writer deletes it (comments.views.own)
        is_removed=True, comment="", comment_html="", card_html="", edited_at=now
    )
    by_writer = add_comment(post, text="Thank you all.", user=writer, user_name="Maren Adair")

    active = SubscriberFactory(email="active@example.org")
    pending = SubscriberFactory(email="pending@example.org", pending=True)
    left = SubscriberFactory(email="left@example.org")
    left.unsubscribe(method=Subscriber.UnsubscribeMethod.LINK, now=now)
    bounced = SubscriberFactory(email="bounced@example.org")
    bounced.unsubscribe(method=Subscriber.UnsubscribeMethod.BOUNCE, now=now)
    erased = SubscriberFactory(email="erased@example.org")
    subscriptions.erase_subscribers(subscribers=Subscriber.objects.filter(pk=erased.pk))
    return {
        "writer": writer,
        "tag": tag,
        "post": post,
        "cover": cover,
        "hostile": hostile,
        "draft": draft,
        "comments": {
            "top": top,
            "reply": reply,
            "held": held,
            "deleted": deleted,
            "by_writer": by_writer,
        },
        "subscribers": {
            "active": active,
            "pending": pending,
            "left": left,
            "bounced": bounced,
        },
    }


def export_bytes(*, now: datetime.datetime | None = None) -> bytes:
    stream = io.BytesIO()
    export.write_archive(stream, now=now or timezone.now())
    return stream.getvalue()


class Archive:
    """An archive opened for the tests: its entries by name, as text or JSON."""

    def __init__(self, content: bytes):
        self.zip = zipfile.ZipFile(io.BytesIO(content))
        self.names = self.zip.namelist()

    def text(self, name: str) -> str:
        return self.zip.read(name).decode()

    def json(self, name: str):
        return json.loads(self.text(name))

    def everything(self) -> bytes:
        return b"\n".join(self.zip.read(name) for name in self.names)
