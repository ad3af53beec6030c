import os

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Create the author's admin account from DJANGO_SUPERUSER_USERNAME, _EMAIL and _PASSWORD "
        "when they are set and the account does not exist yet."
    )

    def handle(self, *args, **options):
        username = os.environ.get("DJANGO_SUPERUSER_USERNAME")
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD")
        email = os.environ.get("DJANGO_SUPERUSER_EMAIL", "")
        if not username or not password:
            self.stdout.write(
                "No author account configured. Create one with:\n"
                "  .venv/bin/python manage.py createsuperuser\n"
                "or set DJANGO_SUPERUSER_USERNAME, DJANGO_SUPERUSER_EMAIL and "
                "DJANGO_SUPERUSER_PASSWORD before `make run`."
            )
            return
        User = get_user_model()
        if User.objects.filter(username=username).exists():
            self.stdout.write(f"Author account {username!r} already exists.")
            return
        try:
            User.objects.create_superuser(username=username, email=email, password=password)
        except ValueError as err:
            raise CommandError(f"Could not create the author account: {err}") from err
        self.stdout.write(self.style.SUCCESS(f"Author account {username!r} created."))
