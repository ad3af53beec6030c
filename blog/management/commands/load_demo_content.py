import datetime

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from blog.demo import demo_posts
from blog.demo.artwork import landscape_jpeg, portrait_png
from blog.models import AuthorProfile, Image, Post, Source, Tag

DEMO_AUTHOR = {"username": "maren", "first_name": "Maren", "last_name": "Adair"}
DEMO_BIO = (
    "Maren Adair has covered city halls, energy markets and elections for fifteen years — "
    "first for a regional daily, now independently.\n"
    "She writes OpEds when the facts call for an opinion, and plain reporting when they don’t. "
    "Every piece lists its sources; every correction is dated and kept on the page.\n"
    "Write to her at the address in the newsletter, or answer in the comments."
)


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

        if not AuthorProfile.objects.filter(user=author).exists():
            AuthorProfile.objects.create(
                user=author,
                bio=DEMO_BIO,
                photo=ContentFile(portrait_png("MA", author.username), name="portrait.png"),
                photo_alt="Monogram of Maren Adair’s initials, MA, in a circle.",
            )

        today = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0)
        posts = demo_posts()
        added = 0
        for number, demo in enumerate(posts, start=1):
            post, was_created = Post.objects.get_or_create(
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
            if was_created:
                post.tags.set(self.tags_named(demo.tags))
                Image.objects.create(
                    post=post,
                    file=ContentFile(landscape_jpeg(demo.slug), name="cover.jpg"),
                    alt_text="An abstract landscape of hills under a low sun, drawn for the demo.",
                    credit="Illustration generated for the demo site",
                    is_cover=True,
                )
                Source.objects.bulk_create(
                    Source(post=post, position=position, publisher=pub, title=title, url=url)
                    for position, (pub, title, url) in enumerate(demo.sources)
                )
            added += was_created
            state = "added" if was_created else "already there"
            self.stdout.write(f"  [{number}/{len(posts)}] {demo.title} — {state}")
        self.stdout.write(
            self.style.SUCCESS(f"Demo content: {added} post(s) added, {len(posts) - added} kept.")
        )

    def tags_named(self, names):
        return [
            Tag.objects.get_or_create(slug=slugify(name), defaults={"name": name})[0]
            for name in names
        ]
