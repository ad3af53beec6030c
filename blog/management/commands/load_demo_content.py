import datetime

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from blog.demo import demo_posts
from blog.models import Post

DEMO_AUTHOR = {"username": "maren", "first_name": "Maren", "last_name": "Adair"}


class Command(BaseCommand):
    help = "Load the demo posts. Safe to run again: posts already present are left as they are."

    @transaction.atomic
    def handle(self, *args, **options):
        User = get_user_model()
        author, created = User.objects.get_or_create(
            username=DEMO_AUTHOR["username"],
            defaults={
                "first_name": DEMO_AUTHOR["first_name"],
                "last_name": DEMO_AUTHOR["last_name"],
            },
        )
        if created:
            author.set_unusable_password()
            author.save(update_fields=["password"])

        today = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0)
        posts = demo_posts()
        added = 0
        for number, demo in enumerate(posts, start=1):
            _, was_created = Post.objects.get_or_create(
                slug=demo.slug,
                defaults={
                    "title": demo.title,
                    "kind": demo.kind,
                    "standfirst": demo.standfirst,
                    "body": demo.body,
                    "author": author,
                    "status": Post.Status.PUBLISHED,
                    "publish_at": today - datetime.timedelta(days=demo.days_ago),
                    "featured": demo.featured,
                },
            )
            added += was_created
            state = "added" if was_created else "already there"
            self.stdout.write(f"  [{number}/{len(posts)}] {demo.title} — {state}")
        self.stdout.write(
            self.style.SUCCESS(f"Demo content: {added} post(s) added, {len(posts) - added} kept.")
        )
