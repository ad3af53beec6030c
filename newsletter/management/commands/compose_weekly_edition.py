from django.core.management.base import BaseCommand
from django.urls import reverse
from django.utils import timezone

from core.links import absolute_url
from newsletter.editions import compose_weekly_edition


class Command(BaseCommand):
    help = "Create a draft weekly edition from this week's posts and approved headlines."

    def handle(self, *args, **options):
        edition = compose_weekly_edition(now=timezone.now())
        url = absolute_url(reverse("admin:newsletter_edition_change", args=[edition.pk]))
        self.stdout.write(
            self.style.SUCCESS(
                f"Draft edition {edition.pk} “{edition.subject}”: {edition.items.count()} "
                f"post(s), {edition.headline_links.count()} headline(s). Edit it at {url}"
            )
        )
