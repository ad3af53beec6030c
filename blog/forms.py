import re

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat

from blog.images import validate_image_upload
from blog.models import AuthorProfile, Image

# Characters that would end or escape the alt text in Markdown's `![alt](url)`.
_MARKDOWN_ALT_SPECIALS = re.compile(r"[\\\[\]]")


class ImageAdminForm(forms.ModelForm):
    """An image on a post's admin page, checked before anything is stored.

    The file is a plain `FileField` carrying our validator: Django's `ImageField` form field
    runs its own Pillow check first and answers every problem with one generic message, so the
    writer would never learn that the file was too large or misnamed.
    """

    file = forms.FileField(
        label="Image file",
        validators=[validate_image_upload],
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"}
        ),
        help_text=(
            f"A JPEG, PNG, WebP or GIF of at most "
            f"{filesizeformat(settings.IMAGE_MAX_UPLOAD_BYTES)}. Location and camera details "
            "are removed before it is stored, and smaller copies are made for phones."
        ),
    )

    class Meta:
        model = Image
        fields = ["file", "alt_text", "caption", "credit", "is_cover"]
        labels = {"alt_text": "Alt text", "is_cover": "Use as cover"}
        help_texts = {
            "alt_text": (
                "What the image shows, for readers who cannot see it, in a sentence: "
                "“The council chamber during Tuesday’s vote”, not “image of council”."
            ),
            "caption": "Shown under the image. Optional.",
            "credit": "Photographer or source, e.g. “Jane Doe / Reuters”. Optional.",
            "is_cover": (
                "Shown at the top of the post, on its card in lists and in link previews. "
                "A post has at most one cover."
            ),
        }


def image_snippet(image: Image) -> str:
    """The Markdown a writer pastes into the post's body to place this image there."""
    alt_text = _MARKDOWN_ALT_SPECIALS.sub(r"\\\g<0>", " ".join(image.alt_text.split()))
    return f"![{alt_text}]({image.file.url})"


class AuthorProfileAdminForm(forms.ModelForm):
    """The writer's name, bio and photo; the photo goes through the same checks as post images."""

    photo = forms.FileField(
        required=False,
        validators=[validate_image_upload],
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
        help_text="A square-ish portrait works best. Location and camera details are removed.",
    )

    class Meta:
        model = AuthorProfile
        fields = ["display_name", "bio", "photo", "photo_alt", "user"]
        labels = {"photo_alt": "Photo alt text", "user": "Account"}
        help_texts = {
            "photo_alt": "What the photo shows, e.g. “Jane Doe smiling, in front of a bookcase”.",
            "user": "The admin account whose posts carry this name.",
        }
