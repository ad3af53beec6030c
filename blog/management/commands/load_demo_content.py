from django.core.management.base import BaseCommand

from blog.demo import content


class Command(BaseCommand):
    help = (
        "Load the demo posts into an empty site, once: a site with posts of its own, or one "
        "that had the demo content before, is left as it is. Remove it with "
        "`manage.py remove_demo_content` or from the admin."
    )

    def handle(self, *args, **options):
        added = content.load(report=self.stdout.write)
        if added:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo content: {added} post(s) added. Remove them all with "
                    "`manage.py remove_demo_content` or from the admin's home page."
                )
            )
