from django.core.management.base import BaseCommand

from comments.counts import repair, store_outdated_sections
from core.pagecache import refresh_public_pages


class Command(BaseCommand):
    help = (
        "Count every post's public comments and threads again and store the numbers that "
        "were wrong (after a bulk import or a change made in the database by hand), and store "
        "again the first pages of threads that an older release stored. "
        "Running it again changes nothing."
    )

    def handle(self, *args, **options):
        fixed = repair()
        for item in fixed:
            self.stdout.write(
                f"“{item.title}” (post {item.post_id}): {item.stored[0]} comments in "
                f"{item.stored[1]} threads, now {item.counted[0]} in {item.counted[1]}."
            )
        if fixed:
            refresh_public_pages()
            self.stdout.write(self.style.SUCCESS(f"{len(fixed)} post(s) repaired."))
        else:
            self.stdout.write("Every post's comment count is right.")
        if stored := store_outdated_sections():
            stored_again = f"{stored} comment section(s) stored again."
            self.stdout.write(self.style.SUCCESS(stored_again))
