"""A throwaway site for the restore drill (tests/core/test_restore_drill.py).

Like tests/newsletter/worker_site.py, each step runs as its own process with production
settings read from the environment, so `manage.py backup` and `manage.py restore` run exactly as
an operator runs them, against a real SQLite file or PostgreSQL database.

`python -m tests.core.drill_site seed OUT.json` fills the site the way its people would (the demo
posts with their images and renditions, a draft, a scheduled post, a renamed post, comment
threads, subscribers who confirmed, left or are still pending, an edition sent through the
mail server with a click counted) and writes the links issued in emails before the backup.
`... snapshot OUT.json` writes every public page's bytes (forms' per-render tokens blanked),
the media files and the rows that matter. `... follow LINKS.json OUT.json` follows the old
links on the restored site and writes what came back.
"""

import datetime
import email
import email.policy
import hashlib
import json
import re
import sys
from pathlib import Path

SITE_HOST = "drill.example"
ORIGIN = f"http://{SITE_HOST}"
# Values a form gets afresh at each render (CSRF token, signed time stamps), not content.
PER_RENDER = re.compile(
    r'(name="(?:csrfmiddlewaretoken|stamp|timestamp|security_hash)"\s+value=")[^"]*(")'
)
PAGE_STAMP = re.compile(r'(data-stamp=")[^"]*(")')


def _client():
    from django.test import Client

    return Client(SERVER_NAME=SITE_HOST, HTTP_HOST=SITE_HOST)


def _body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def _messages(mail_dir: Path) -> list[email.message.EmailMessage]:
    """What the mail server received (Django's file backend writes one file per connection)."""
    found = []
    for path in sorted(mail_dir.glob("*.log")):
        for chunk in path.read_bytes().split(b"-" * 79 + b"\n"):
            if chunk.strip():
                found.append(email.message_from_bytes(chunk, policy=email.policy.default))
    return found


def _link(text: str, path_start: str) -> str:
    return re.search(rf"{re.escape(ORIGIN)}({re.escape(path_start)}[^\s\"<>]+)", text).group(1)


def _text(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def seed(out: str) -> None:
    import django

    django.setup()
    from django.contrib.contenttypes.models import ContentType
    from django.core.management import call_command
    from django.utils import timezone

    from blog.models import Image, Post, Tag
    from blog.tasks import make_image_renditions
    from comments.models import Comment
    from core.models import OutgoingEmail
    from newsletter import subscriptions
    from newsletter.consent import CURRENT_CONSENT_VERSION
    from newsletter.models import Edition, EditionItem, Subscriber

    now = timezone.now()
    call_command("load_demo_content", verbosity=0)
    for image in Image.objects.all():
        make_image_renditions.call(image.pk)
    author = Post.objects.first().author
    tag = Tag.objects.first()

    draft = Post.objects.create(
        title="A draft nobody may read yet",
        slug="a-draft",
        body="Still thinking.",
        author=author,
        status=Post.Status.DRAFT,
    )
    scheduled = Post.objects.create(
        title="Published next week",
        slug="next-week",
        body="The budget vote, read ahead of time.",
        author=author,
        status=Post.Status.PUBLISHED,
        publish_at=now + datetime.timedelta(days=7),
    )
    renamed = Post.objects.published().order_by("publish_at").first()
    old_url = renamed.get_absolute_url()
    renamed.slug = f"{renamed.slug}-revisited"
    renamed.save()
    renamed.tags.add(tag)

    post_type = ContentType.objects.get_for_model(Post)

    def comment(text, *, parent=None, name="Zoë Reader", address="zoe@example.org"):
        values = {"parent_id": parent.pk} if parent else {}
        return Comment.objects.create(
            content_type=post_type,
            object_pk=str(renamed.pk),
            site_id=1,
            user_name=name,
            user_email=address,
            comment=text,
            is_public=True,
            **values,
        )

    first = comment("The buses are late again.")
    reply = comment("Not on my route.", parent=first, name="Ann", address="ann@example.org")
    comment("Which route?", parent=reply)
    comment("A second thread, on water.", name="Ben", address="ben@example.org")

    def sign_up(address):
        subscriptions.request_subscription(
            email=address,
            source="Newsletter page",
            page_url="/newsletter/",
            consent_version=CURRENT_CONSENT_VERSION,
            ip="203.0.113.9",
            now=now,
        )
        return Subscriber.objects.get(email=address)

    for address in ("ada@example.org", "bob@example.org", "cy@example.org"):
        reader = sign_up(address)
        subscriptions.confirm_subscription(
            subscriber=reader, nonce=reader.confirmation_nonce, ip="203.0.113.10", now=now
        )
    subscriptions.unsubscribe(
        subscriber=Subscriber.objects.get(email="cy@example.org"), method="link", now=now
    )
    sign_up("pending@example.org")
    confirmation = next(
        email.message_from_bytes(bytes(row.message), policy=email.policy.default)
        for row in OutgoingEmail.objects.all()
        if "pending@example.org" in row.recipients
    )

    edition = Edition.objects.create(
        subject="The week in The Dispatch", intro="Three things happened this week."
    )
    for position, post in enumerate(Post.objects.published()[:2], start=1):
        EditionItem.objects.create(edition=edition, post=post, position=position)
    call_command("send_edition", str(edition.pk), verbosity=0, stdout=sys.stderr)
    mail_dir = Path(django.conf.settings.MAILERS["bulk"]["OPTIONS"]["file_path"])
    to_ada = next(m for m in _messages(mail_dir) if m["To"] == "ada@example.org")
    unsubscribe = re.search(r"<(https?://[^>]+/u/[^>]+)>", to_ada["List-Unsubscribe"]).group(1)
    click = _link(_text(to_ada), "/newsletter/c/") if "/newsletter/c/" in _text(to_ada) else None
    if click is None:
        click = _link(to_ada.get_body(preferencelist=("html",)).get_content(), "/newsletter/c/")
    assert _client().get(click).status_code == 302

    links = {
        "confirm": _link(_text(confirmation), "/newsletter/confirm/"),
        "unsubscribe": unsubscribe.removeprefix(ORIGIN),
        "click": click,
        "old_post": old_url,
        "post": renamed.get_absolute_url(),
        "draft": draft.get_absolute_url(),
        "scheduled": scheduled.get_absolute_url(),
    }
    Path(out).write_text(json.dumps(links, indent=2))


def _public_urls() -> list[str]:
    from django.urls import reverse

    from blog.models import Post, Tag
    from newsletter.models import Edition

    urls = [
        "/",
        "/?page=2",
        reverse("blog:archive"),
        reverse("blog:about"),
        reverse("blog:search") + "?q=buses",
        reverse("blog:feed-rss"),
        reverse("blog:feed-atom"),
        "/sitemap.xml",
        "/robots.txt",
        reverse("newsletter:subscribe"),
        reverse("newsletter:edition-archive"),
        reverse("comments:feed"),
    ]
    for post in Post.objects.order_by("pk"):
        urls += [
            post.get_absolute_url(),
            reverse("comments:post-feed", args=[post.pk]),
            reverse("comments:threads", args=[post.pk]),
        ]
    for tag in Tag.objects.order_by("pk"):
        urls.append(tag.get_absolute_url())
    for edition in Edition.objects.order_by("pk"):
        urls.append(reverse("newsletter:edition-detail", args=[edition.pk]))
    return urls


def _rows() -> dict:
    """The rows a restore must bring back exactly, with natural keys for references."""
    from django.core import serializers

    from blog.models import OldSlug, Post
    from comments.models import Comment
    from newsletter.models import Delivery, Edition, LinkClick, Subscriber, Suppression

    return {
        model._meta.label: json.loads(
            serializers.serialize(
                "json", model._base_manager.order_by("pk"), use_natural_foreign_keys=True
            )
        )
        for model in (Post, OldSlug, Comment, Subscriber, Suppression, Edition, Delivery, LinkClick)
    }


def snapshot(out: str) -> None:
    import django

    django.setup()
    from django.core.files.storage import default_storage

    from core.backups import _media_names

    client = _client()
    pages = {}
    for url in _public_urls():
        response = client.get(url, headers={"accept-encoding": "identity"})
        body = PAGE_STAMP.sub(r"\1…\2", PER_RENDER.sub(r"\1…\2", _body(response).decode()))
        pages[url] = {"status": response.status_code, "body": body}
    media = {}
    for name in _media_names():
        response = client.get(f"/media/{name}")
        media[name] = {
            "status": response.status_code,
            "sha256": hashlib.sha256(_body(response)).hexdigest(),
            "stored_sha256": hashlib.sha256(default_storage.open(name).read()).hexdigest(),
        }
    Path(out).write_text(json.dumps({"pages": pages, "media": media, "rows": _rows()}, indent=1))


def follow(links_path: str, out: str) -> None:
    """Use the links from emails sent before the backup, as their readers would."""
    import django

    django.setup()
    from newsletter.models import Subscriber

    links = json.loads(Path(links_path).read_text())
    client = _client()
    origin = {"origin": ORIGIN}
    old = client.get(links["old_post"])
    confirm_page = client.get(links["confirm"])
    confirmed = client.post(links["confirm"], headers=origin)
    unsubscribed = client.post(
        links["unsubscribe"], {"List-Unsubscribe": "One-Click"}, headers=origin
    )
    clicked = client.get(links["click"])
    statuses = dict(Subscriber.objects.values_list("email", "status"))
    result = {
        "old_post": [old.status_code, old.headers.get("Location")],
        "confirm_page": confirm_page.status_code,
        "confirmed": confirmed.status_code,
        "unsubscribed": unsubscribed.status_code,
        "click": [clicked.status_code, clicked.headers.get("Location")],
        "statuses": statuses,
    }
    Path(out).write_text(json.dumps(result, indent=2))


COMMANDS = {"seed": seed, "snapshot": snapshot, "follow": follow}

if __name__ == "__main__":
    COMMANDS[sys.argv[1]](*sys.argv[2:])
