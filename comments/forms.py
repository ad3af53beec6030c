from django import forms
from django.conf import settings
from django_comments_xtd.forms import XtdCommentForm

from comments.models import Comment, FlagReason
from comments.notifications import NEWSLETTER_CONSENT_TEXT
from comments.signals import newsletter_consent_given
from core.text import strip_invisible

MARKDOWN_HELP = "Markdown: *emphasis*, **strong**, [a link](https://…), > quote, `code`, - lists."


class CommentForm(XtdCommentForm):
    """xtd's form with our labels and spam rules, and no Bootstrap classes.

    On top of django-contrib-comments' signed content type, object and timestamp (2 hours
    at most) and its honeypot: a per-visitor, single-use stamp (comments.stamps), and the
    newsletter box when someone listens for `newsletter_consent_given` (the newsletter app
    does; comments never imports it).
    """

    newsletter = forms.BooleanField(required=False, label=NEWSLETTER_CONSENT_TEXT)
    # Checked by the posting view (comments.stamps), not here: a missing or spent stamp is not
    # the reader's mistake, and gets a fresh one instead of a field error.
    stamp = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        max_length = settings.COMMENT_MAX_LENGTH
        fields = self.fields
        fields["name"].widget = forms.TextInput(attrs={"autocomplete": "name", "maxlength": 50})
        fields["email"].label = "Email"
        fields["email"].help_text = "Never shown. We send a link to publish your comment."
        fields["email"].widget = forms.EmailInput(attrs={"autocomplete": "email"})
        fields["url"].label = "Website (optional)"
        fields["url"].widget = forms.URLInput(attrs={"autocomplete": "url"})
        fields["comment"].help_text = MARKDOWN_HELP
        fields["comment"].widget = forms.Textarea(attrs={"rows": 6, "maxlength": max_length})
        fields["comment"].error_messages["max_length"] = (
            f"Your comment is too long: please keep it under {max_length} characters "
            "(it has %(show_value)d)."
        )
        fields["followup"].label = "Email me when someone replies"
        fields["followup"].widget = forms.CheckboxInput()
        fields["honeypot"].label = "Leave this field empty"
        fields["honeypot"].widget = forms.TextInput(attrs={"autocomplete": "off", "tabindex": -1})
        if not newsletter_consent_given.has_listeners(Comment):
            del fields["newsletter"]

    @classmethod
    def security_data(cls, target) -> dict[str, str]:
        """The signed fields (content type, object, timestamp, hash) of a form for `target`,
        from django-comments' own method, without building the rest of the form."""
        form = cls.__new__(cls)
        form.target_object = target
        return form.generate_security_data()

    def clean_name(self):
        """The name without invisible characters (bidi overrides could make it read backwards)."""
        name = strip_invisible(self.cleaned_data["name"]).strip()
        if not name:
            raise forms.ValidationError("Please enter your name.")
        return name

    def clean_comment(self):
        """The text without control, bidi and zero-width characters (`core.text`)."""
        text = strip_invisible(super().clean_comment())
        if not text.strip():
            raise forms.ValidationError("Please write your comment.")
        return text

    def clean_timestamp(self):
        """django-comments' check (2 hours at most), safe from absurd values.

        The page's timestamp is shared by every visitor of a cached page; the minimum time
        and single use are the per-visitor stamp's job (comments.stamps).
        """
        if not 0 <= self.cleaned_data["timestamp"] <= 2**40:
            # No clock says this; django-comments' float arithmetic on it would overflow.
            raise forms.ValidationError("Timestamp check failed")
        return super().clean_timestamp()

    def get_comment_create_data(self, site_id=None):
        data = super().get_comment_create_data(site_id=site_id)
        data["newsletter_optin"] = bool(self.cleaned_data.get("newsletter"))
        return data


class EditForm(forms.Form):
    comment = forms.CharField(
        label="Your comment",
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=settings.COMMENT_MAX_LENGTH,
    )

    def clean_comment(self):
        text = strip_invisible(self.cleaned_data["comment"])
        if not text.strip():
            raise forms.ValidationError("Please write your comment.")
        return text


class FlagForm(forms.Form):
    """Why a reader flags a comment: a reason to choose, and an optional note for the author."""

    reason = forms.ChoiceField(
        label="Why should the author look at this comment?",
        choices=FlagReason.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Please choose a reason.",
            "invalid_choice": "Please choose one of the reasons.",
        },
    )
    note = forms.CharField(
        label="Anything the author should know (optional)",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 500}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "flag_%s")  # beside the comment form on the post page
        super().__init__(*args, **kwargs)

    def clean_note(self):
        return strip_invisible(self.cleaned_data["note"]).strip()
