from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email

from core import staff


class Command(BaseCommand):
    help = (
        "Forget a staff member's trusted browsers, authenticator app and recovery codes (a lost "
        "phone or laptop); their next sign-in asks for an emailed code again."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--email",
            help="Also set the address sign-in codes are sent to (for an account without one).",
        )

    def handle(self, *args, username, email=None, **options):
        User = get_user_model()
        try:
            user = User.objects.get_by_natural_key(username)
        except User.DoesNotExist as err:
            raise CommandError(f"No user named {username!r}.") from err
        if email is not None:
            try:
                validate_email(email)
            except ValidationError as err:
                raise CommandError(f"{email!r} is not an email address.") from err
            user.email = email
            user.save(update_fields=["email"])
            self.stdout.write(f"Sign-in codes for {username} now go to {email}.")
        reset = staff.reset_verification(user=user)
        self.stdout.write(
            f"Removed for {username}: {reset.trusted_devices} trusted browser(s), "
            f"{reset.authenticators} authenticator app(s), "
            f"{reset.recovery_code_sets} set(s) of recovery codes."
        )
        if not user.email:
            self.stdout.write(
                f"{username} has no email address, so cannot receive a sign-in code: "
                "run this again with --email."
            )
