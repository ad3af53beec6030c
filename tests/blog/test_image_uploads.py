"""Uploading images: what is refused, and what is stored (pixels only)."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PILImage

from blog.articles import store_articles
from blog.forms import ImageAdminForm
from blog.models import AuthorProfile, Image
from tests.blog.images_support import (
    NOT_AN_IMAGE,
    STORED_NAME,
    assert_no_metadata,
    bomb_png,
    encoded,
    fail_if_decoded,
    image_form,
    phone_photo,
    picture_bytes,
    stored_image,
)
from tests.factories import PostFactory, UserFactory

pytestmark = pytest.mark.django_db


# Validation: every refusal is a form error the writer can act on.


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notes.jpg", b"<html><body>Not a picture</body></html>", NOT_AN_IMAGE),
        ("empty.jpg", b"", "empty"),
        (
            "drawing.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"/>',
            NOT_AN_IMAGE,
        ),
        ("chart.jpg", picture_bytes("PNG"), "This file is a PNG image but its name ends in “.jpg”"),
        ("bomb.png", bomb_png(20_000, 20_000), "too many pixels"),
    ],
    ids=["html-named-jpg", "zero-bytes", "svg", "png-named-jpg", "decompression-bomb"],
)
def test_unusable_upload_is_a_form_error_with_a_clear_message(name, content, message):
    form = image_form(name, content)
    assert not form.is_valid()
    [error] = form.errors["file"]
    assert message in error
    assert not Image.objects.exists()


def test_oversized_file_is_refused_with_the_limit_in_the_message(settings):
    settings.IMAGE_MAX_UPLOAD_BYTES = 1000
    noise = PILImage.effect_noise((200, 200), 64).convert("RGB")
    form = image_form("noise.jpg", encoded(noise, "JPEG"))
    assert not form.is_valid()
    [error] = form.errors["file"]
    assert "images can be at most 1000\xa0bytes" in error


def test_upload_limit_defaults_to_ten_megabytes(settings):
    assert settings.IMAGE_MAX_UPLOAD_BYTES == 10 * 1024 * 1024


def test_too_many_pixels_is_refused_from_the_header_before_decoding(monkeypatch):
    content = bomb_png(8000, 6000)
    fail_if_decoded(monkeypatch)
    form = image_form("poster.png", content)
    assert not form.is_valid()
    [error] = form.errors["file"]
    assert "too many pixels" in error and "40 megapixels" in error


def test_pillow_decompression_bomb_warning_is_treated_as_an_error(settings, monkeypatch):
    settings.IMAGE_MAX_PIXELS = 1_000_000_000
    content = bomb_png(10_000, 10_000)
    fail_if_decoded(monkeypatch)
    form = image_form("poster.png", content)
    assert not form.is_valid()
    assert "too many pixels" in form.errors["file"][0]


def test_image_cut_short_is_refused():
    noise = encoded(PILImage.effect_noise((400, 300), 64).convert("RGB"), "JPEG")
    form = image_form("cut.jpg", noise[: len(noise) // 2])
    assert not form.is_valid()
    assert NOT_AN_IMAGE in form.errors["file"][0]


def test_image_model_validates_its_file():
    image = Image(
        post=PostFactory(), alt_text="A chart.", file=SimpleUploadedFile("a.jpg", b"<p>hi</p>")
    )
    with pytest.raises(ValidationError) as raised:
        image.full_clean()
    assert NOT_AN_IMAGE in raised.value.message_dict["file"][0]


def test_author_profile_validates_its_photo():
    profile = AuthorProfile(
        user=UserFactory(),
        bio="Writer.",
        photo=SimpleUploadedFile("me.jpg", picture_bytes("PNG")),
        photo_alt="The writer.",
    )
    with pytest.raises(ValidationError) as raised:
        profile.full_clean()
    assert "This file is a PNG image" in raised.value.message_dict["photo"][0]


# Re-encoding: what is stored is pixels only, under a name the server chose.


def test_stored_upload_has_no_exif_gps_xmp_or_comment(upload):
    image = upload("IMG_2041.jpg", phone_photo())
    assert_no_metadata(image.file.name)


def test_stored_upload_is_turned_upright_and_dimensions_follow(upload):
    image = upload("IMG_2041.jpg", phone_photo(80, 40))
    assert (image.width, image.height) == (40, 80)
    stored = stored_image(image.file.name)
    assert stored.size == (40, 80)
    top_red, _, top_blue = stored.getpixel((20, 5))
    bottom_red, _, bottom_blue = stored.getpixel((20, 75))
    assert top_red > 200 > top_blue and bottom_blue > 200 > bottom_red


def test_stored_name_is_chosen_by_the_server(upload):
    image = upload("../../x.php.jpg", picture_bytes("JPEG"))
    assert STORED_NAME.fullmatch(image.file.name)
    assert "php" not in image.file.name


@pytest.mark.parametrize(
    ("name", "image_format", "stored_format", "extension"),
    [
        ("photo.jpeg", "JPEG", "JPEG", "jpg"),
        ("chart.png", "PNG", "PNG", "png"),
        ("photo.webp", "WEBP", "WEBP", "webp"),
        ("animation.gif", "GIF", "PNG", "png"),
    ],
)
def test_upload_is_stored_in_the_format_found_in_its_content(
    upload, name, image_format, stored_format, extension
):
    image = upload(name, picture_bytes(image_format))
    assert STORED_NAME.fullmatch(image.file.name)
    assert image.file.name.endswith(f".{extension}")
    assert stored_image(image.file.name).format == stored_format


def test_saving_again_without_a_new_file_neither_reencodes_nor_requeues(
    upload, django_capture_on_commit_callbacks
):
    image = upload("photo.jpg", picture_bytes("JPEG"))
    stored_name = image.file.name
    with django_capture_on_commit_callbacks() as callbacks:
        image.caption = "Tuesday, outside the town hall."
        image.save()
    # Only the page cache's refresh and the article shown again with its new caption: no
    # re-encoding, no renditions task.
    others = [cb for cb in callbacks if getattr(cb, "__module__", "") != "core.pagecache"]
    assert [(cb.func, cb.args) for cb in others] == [(store_articles, ([image.post_id],))]
    assert image.file.name == stored_name


def test_editing_an_image_in_the_form_does_not_decode_or_replace_its_file(upload, monkeypatch):
    image = upload("photo.jpg", picture_bytes("JPEG"))
    stored_name = image.file.name
    fail_if_decoded(monkeypatch)
    form = ImageAdminForm(
        data={"alt_text": "Protesters outside the town hall, at dusk."}, files={}, instance=image
    )
    assert form.is_valid(), form.errors
    assert form.save().file.name == stored_name


def test_author_photo_is_reencoded_without_metadata():
    profile = AuthorProfile.objects.create(
        user=UserFactory(),
        bio="Writer.",
        photo=SimpleUploadedFile("../me.jpg", phone_photo()),
        photo_alt="The writer, smiling.",
    )
    assert STORED_NAME.fullmatch(profile.photo.name)
    assert_no_metadata(profile.photo.name)
