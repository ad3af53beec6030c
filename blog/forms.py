import datetime
import re
import uuid

from django import forms
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.forms.widgets import FILE_INPUT_CONTRADICTION
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.html import format_html

from blog import images
from blog.images import validate_image_upload
from blog.models import AuthorProfile, Image
from core.tokens import BadToken, Signed

# Characters that would end or escape the alt text in Markdown's `![alt](url)`.
_MARKDOWN_ALT_SPECIALS = re.compile(r"[\\\[\]]")


# An upload that passed its checks is kept here when the rest of the page did not save (a
# missing alt text, an error elsewhere in the post), so the writer need not choose it again:
# browsers cannot refill a file input. Kept files are re-encoded first (no location or camera
# details, as for every stored image) and forgotten after a day.
KEPT_UPLOAD_DIR = "kept-uploads"
KEPT_UPLOAD_MAX_AGE = 24 * 60 * 60
KEPT_UPLOADS = Signed("blog.kept-upload", objects=True)


def keep_upload(upload: UploadedFile) -> tuple[str, str]:
    """Store a checked upload until the page saves: the token that finds it again, and where
    it is stored."""
    forget_old_kept_uploads()
    clean = images.sanitise_upload(upload)
    extension = clean.name.rsplit(".", 1)[-1]
    stored = default_storage.save(f"{KEPT_UPLOAD_DIR}/{uuid.uuid4().hex}.{extension}", clean)
    stem = (upload.name or "image").rsplit(".", 1)[0]
    payload = {"path": stored, "name": upload.name, "file": f"{stem}.{extension}"}
    return KEPT_UPLOADS.sign(payload), stored


def kept_upload(token: str) -> tuple[UploadedFile, str] | None:
    """The kept file as a fresh upload, and the name the writer knows it by."""
    try:
        kept = KEPT_UPLOADS.read(token, max_age=KEPT_UPLOAD_MAX_AGE)
        path, name, file_name = kept["path"], kept["name"], kept["file"]
    except (BadToken, KeyError, TypeError):
        return None
    if not str(path).startswith(f"{KEPT_UPLOAD_DIR}/") or not default_storage.exists(path):
        return None
    with default_storage.open(path, "rb") as stored:
        upload = SimpleUploadedFile(file_name, stored.read(settings.IMAGE_MAX_UPLOAD_BYTES + 1))
    upload.kept_path = path
    return upload, name


def forget_old_kept_uploads() -> None:
    """Kept files of pages never saved go after `KEPT_UPLOAD_MAX_AGE`."""
    try:
        _, names = default_storage.listdir(KEPT_UPLOAD_DIR)
    except (FileNotFoundError, NotImplementedError):
        return
    cutoff = timezone.now() - datetime.timedelta(seconds=KEPT_UPLOAD_MAX_AGE)
    for name in names:
        path = f"{KEPT_UPLOAD_DIR}/{name}"
        try:
            if default_storage.get_modified_time(path) < cutoff:
                default_storage.delete(path)
        except (FileNotFoundError, NotImplementedError):
            continue


class KeepingFileInput(forms.ClearableFileInput):
    """A file input that remembers a checked upload across a page that did not save.

    The kept file travels as a signed token in a hidden input next to the file input, with
    its name shown ("Kept: harbour.jpg"); a newly chosen file replaces it.
    """

    kept: tuple[str, str] | None = None  # (token, the name the writer chose)

    @staticmethod
    def kept_field_name(name: str) -> str:
        return f"{name}-kept"

    def value_from_datadict(self, data, files, name):
        upload = super().value_from_datadict(data, files, name)
        if upload or upload is False or upload is FILE_INPUT_CONTRADICTION:
            return upload
        token = data.get(self.kept_field_name(name), "")
        found = kept_upload(token) if token else None
        if found is None:
            return upload
        self.kept = (token, found[1])
        return found[0]

    def render(self, name, value, attrs=None, renderer=None):
        html = super().render(name, value, attrs, renderer)
        if self.kept is None:
            return html
        token, original_name = self.kept
        return html + format_html(
            '<input type="hidden" name="{}" value="{}">'
            '<p class="kept-upload">Kept: <strong>{}</strong> (it is saved with the post; '
            "choose another file only to replace it).</p>",
            self.kept_field_name(name),
            token,
            original_name,
        )


class ImageAdminForm(forms.ModelForm):
    """An image on a post's admin page, checked before anything is stored.

    The file is a plain `FileField` carrying our validator: Django's `ImageField` form field
    runs its own Pillow check first and answers every problem with one generic message, so the
    writer would never learn that the file was too large or misnamed.
    """

    file = forms.FileField(
        label="Image file",
        validators=[validate_image_upload],
        widget=KeepingFileInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"}),
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

    # Off where a failed upload has no page to come back to (the writing desk's image drop).
    keep_uploads = True

    def clean_file(self):
        """A new upload that passed its checks is kept, in case the page does not save."""
        upload = self.cleaned_data["file"]
        if not isinstance(upload, UploadedFile):
            return upload
        if self.keep_uploads and not hasattr(upload, "kept_path"):
            token, upload.kept_path = keep_upload(upload)
            self.fields["file"].widget.kept = (token, upload.name)
            upload.seek(0)
        return upload

    def save(self, commit=True):
        """Saved with the post: the kept copy is no longer needed once this commits."""
        image = super().save(commit)
        if kept_path := getattr(self.cleaned_data.get("file"), "kept_path", None):
            images.delete_files_on_commit([kept_path])
        return image


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
