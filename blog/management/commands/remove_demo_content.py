from django.core.management.base import BaseCommand

from blog.demo import content


class Command(BaseCommand):
    help = (
        "Delete everything `load_demo_content` created (demo posts with their images, sources "
        "and comments, demo tags, the fictional author) and nothing else. It is not loaded again."
    )

    def handle(self, *args, **options):
        removed = content.remove()
        self.stdout.write(self.style.SUCCESS(f"Demo content removed: {removed}."))
