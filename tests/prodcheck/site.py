"""What the prod-check does inside the site (Django set up from the site's environment).

`python -m tests.prodcheck.site COMMAND ARGS…` prints one line of JSON:

- `seed N`: N active subscribers (bulk_create, 2,000 rows a statement), a draft post for the
  publishing check and an edition of the three newest demo posts; their ids and addresses.
- `send EDITION`: the admin's "Send now" (freeze the recipients, wake a worker).
- `ledger EDITION WRITERS_JSON`: what the database holds at the end: the edition's deliveries
  by status, and which of the writers' signups and comments arrived (active subscriber,
  public comment).
"""

import json
import sys

READER_DOMAIN = "readers.example.org"


def reader_address(n: int) -> str:
    """An edition recipient (the sink keeps only a count for `reader…` addresses)."""
    return f"reader{n}@{READER_DOMAIN}"


def seed(count: int) -> dict:
    from django.utils import timezone

    from blog.models import Post
    from newsletter.models import Edition, EditionItem, Subscriber

    now = timezone.now()
    common = {
        "status": Subscriber.Status.ACTIVE,
        "confirmed_at": now,
        "consent_text": "Weekly email.",
        "signup_source": "Import",
    }
    Subscriber.objects.bulk_create(
        (Subscriber(email=reader_address(n), **common) for n in range(count)), batch_size=2000
    )
    published = list(Post.objects.published().order_by("-publish_at")[:3])
    edition = Edition.objects.create(
        subject="The week in The Dispatch",
        preheader="Three pieces worth your evening",
        intro="Three things happened this week.",
    )
    for position, post in enumerate(published, start=1):
        EditionItem.objects.create(edition=edition, post=post, position=position)
    draft = Post.objects.create(
        title=f"Harbour bridge reopens ({now:%H%M%S})",
        slug=f"harbour-bridge-reopens-{now:%H%M%S}",
        standfirst="The council kept its promise, a week late.",
        body="The bridge reopened on Monday.\nTraffic was light.",
        author=published[0].author,
        status=Post.Status.DRAFT,
    )
    return {
        "edition": edition.pk,
        "subscribers": Subscriber.objects.active().count(),
        "posts": [post.get_absolute_url() for post in Post.objects.published()],
        "draft": {"pk": draft.pk, "title": draft.title, "url": draft.get_absolute_url()},
    }


def send(edition_id: int) -> dict:
    from django.utils import timezone

    from newsletter import tasks
    from newsletter.models import Edition

    edition = Edition.objects.get(pk=edition_id)
    return {"recipients": tasks.send_now(edition=edition, now=timezone.now())}


def ledger(edition_id: int, writers_path: str) -> dict:
    from django.db.models import Count

    from comments.models import Comment
    from newsletter.delivery import MAX_DUPLICATES_PER_CRASH
    from newsletter.models import Delivery, Subscriber

    with open(writers_path, encoding="utf-8") as file:
        writers = json.load(file)
    deliveries = dict(
        Delivery.objects.filter(edition_id=edition_id)
        .values_list("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    signups = set(
        Subscriber.objects.filter(
            email__in=writers["signups"], status=Subscriber.Status.ACTIVE
        ).values_list("email", flat=True)
    )
    comments = set(
        Comment.objects.public()
        .filter(comment__in=writers["comments"])
        .values_list("comment", flat=True)
    )
    return {
        "deliveries": deliveries,
        "signups_missing": sorted(set(writers["signups"]) - signups),
        "comments_missing": sorted(set(writers["comments"]) - comments),
        "max_duplicates_per_crash": MAX_DUPLICATES_PER_CRASH,
    }


COMMANDS = {"seed": seed, "send": send, "ledger": ledger}

if __name__ == "__main__":
    import django

    django.setup()
    command, *args = sys.argv[1:]
    arguments = [int(arg) if arg.isdigit() else arg for arg in args]
    sys.stdout.write(json.dumps(COMMANDS[command](*arguments)) + "\n")
