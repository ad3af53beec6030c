from django import forms

from blog.models import Post
from core.addresses import MAX_LENGTH, normalise_email
from newsletter import tokens
from newsletter.consent import CONSENT_TEXTS, CURRENT_CONSENT_VERSION
from newsletter.imports import parse_subscriber_csv
from newsletter.models import Subscriber

SOURCES = {
    "footer": "Footer form",
    "post": "Form under a post",
    "page": "Newsletter page",
}
IMPORT_MAX_BYTES = 20 * 1024 * 1024
STALE_FORM = "This form is out of date. Please send it again from this page."


class SignupForm(forms.Form):
    """The public signup form; it lives on cached pages, so it carries no per-visitor token."""

    email = forms.CharField(
        label="Email address",
        max_length=MAX_LENGTH,
        error_messages={
            "required": "Enter your email address.",
            "max_length": f"That address is too long: at most {MAX_LENGTH} characters.",
        },
    )
    # The honeypot: hidden from people by CSS, filled in by form-filling bots.
    website = forms.CharField(required=False, max_length=200)
    stamp = forms.CharField(
        max_length=100, error_messages={"required": STALE_FORM, "max_length": STALE_FORM}
    )
    source = forms.ChoiceField(choices=list(SOURCES.items()))
    page = forms.CharField(max_length=300, required=False)
    # The post whose page the form was on: a published post's id, or nothing.
    post = forms.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    consent_version = forms.ChoiceField(choices=[(v, v) for v in CONSENT_TEXTS])

    def __init__(self, *args, source="page", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].initial = source
        self.stamp_state = None

    @property
    def is_bot(self) -> bool:
        """A filled honeypot: answer as if all went well, and do nothing."""
        return bool(self.is_bound and self.data.get("website", "").strip())

    def clean_email(self):
        return normalise_email(self.cleaned_data["email"])

    def clean_post(self) -> int | None:
        """Only a published post counts as a signup's source; anything else is dropped, not an
        error, so a form left open while its post was withdrawn still signs the reader up."""
        pk = self.cleaned_data["post"]
        if pk is None or not Post.objects.published().filter(pk=pk).exists():
            return None
        return pk

    def clean_page(self):
        page = self.cleaned_data["page"]
        return page if page.startswith("/") and not page.startswith("//") else ""

    def clean_stamp(self):
        self.stamp_state = tokens.check_form_stamp(self.cleaned_data["stamp"])
        if self.stamp_state is tokens.Stamp.TOO_FAST:
            raise forms.ValidationError(
                "That was quicker than we expected from a person. "
                "Please wait a few seconds and send the form again."
            )
        if self.stamp_state is not tokens.Stamp.OK:
            raise forms.ValidationError(STALE_FORM)
        return self.cleaned_data["stamp"]

    def first_error(self) -> str:
        """The one sentence to show above the form."""
        if "stamp" in self.errors:
            return self.errors["stamp"][0]
        if any(field in self.errors for field in ("source", "consent_version", "page")):
            return STALE_FORM
        return "Please check the address and try again."


class PreferencesForm(forms.ModelForm):
    class Meta:
        model = Subscriber
        fields = ["cadence"]
        widgets = {"cadence": forms.RadioSelect}
        labels = {"cadence": "What would you like to receive?"}


class SubscriberImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text=(
            "UTF-8, first line naming the columns; only the email address is required. "
            "Exports from Substack, Ghost, Mailchimp and Buttondown work as they are."
        ),
    )
    mode = forms.ChoiceField(
        label="Import as",
        choices=[
            (Subscriber.Status.PENDING, "Pending: each new address gets a confirmation email"),
            (Subscriber.Status.ACTIVE, "Active: these people already agreed (state where)"),
        ],
        widget=forms.RadioSelect,
        initial=Subscriber.Status.PENDING,
    )
    consent_source = forms.CharField(
        label="Where did they agree?",
        max_length=150,
        required=False,
        help_text=(
            "Required for an active import, e.g. “Substack export, double opt-in, 2025”. "
            "Stored with each subscriber as their consent source."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > IMPORT_MAX_BYTES:
            raise forms.ValidationError("The file is larger than 20 MB.")
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError as err:
            raise forms.ValidationError(
                "The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again."
            ) from err
        self.parsed = parse_subscriber_csv(text)
        return upload

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("mode") == Subscriber.Status.ACTIVE
            and not cleaned.get("consent_source", "").strip()
        ):
            self.add_error(
                "consent_source",
                "Say where these people agreed to receive the newsletter: an active import "
                "needs a consent source.",
            )
        return cleaned


def signup_form_context(*, request, source: str, form: SignupForm | None = None, post=None) -> dict:
    """What the signup form template needs, from the inclusion tag or a view.

    A form sent back with errors (never cached) gets a stamp of its own; a page's form gets
    the page's stamp, which the script replaces with a fresh one (newsletter/tokens.py).
    A page's form is empty, and the template prints its fields itself: no form is built
    for it (a Form copies its fields each time, a tenth of the form's rendering).
    """
    return {
        "form": form,
        "source": source,
        "stamp": tokens.make_form_stamp(for_page=form is None),
        "page": request.path if request is not None else "",
        "post_pk": post.pk if post is not None else None,
        "consent_text": CONSENT_TEXTS[CURRENT_CONSENT_VERSION],
        "consent_version": CURRENT_CONSENT_VERSION,
    }
