from django.core.management.base import BaseCommand
from django.urls import reverse
from django.utils import timezone

from core.links import absolute_url
from newsletter.editions import weekly_draft


class Command(BaseCommand):
    help = (
        "Create a draft weekly edition from this week's posts and approved headlines, "
        "or reuse the draft already composed this week."
    )

    def handle(self, *args, **options):
        edition, created = weekly_draft(now=timezone.now())
        url = absolute_url(reverse("admin:newsletter_edition_change", args=[edition.pk]))
        if not created:
            composed = timezone.localtime(edition.created_at).strftime("%Y-%m-%d %H:%M %Z")
            self.stdout.write(
                self.style.WARNING(
                    f"Reusing draft edition {edition.pk} “{edition.subject}”, composed {composed}: "
                    "this week already has an open draft, so no second one was made and "
                    f"nothing in it changed. Edit it at {url}"
                )
            )
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Draft edition {edition.pk} “{edition.subject}”: {edition.items.count()} "
                f"post(s), {edition.headline_links.count()} headline(s). Edit it at {url}"
            )
        )
