import io
import re
import struct
import zlib
from html.parser import HTMLParser
from pathlib import PurePosixPath

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.tasks import TaskResultStatus
from django.template import Context, Template, TemplateSyntaxError
from PIL import Image as PILImage
from PIL import ImageFile

from blog.forms import ImageAdminForm, image_snippet
from blog.models import AuthorProfile, Image
from blog.tasks import make_image_renditions
from core.markup import render_post_body
from tests.factories import ImageFactory, PostFactory, UserFactory

pytestmark = pytest.mark.django_db

ORIENTATION = 0x0112
GPS_IFD = 0x8825
STORED_NAME = re.compile(r"uploads/[0-9a-f]{32}\.(jpg|png|webp|gif)")
NOT_AN_IMAGE = "This file is not a JPEG, PNG, WebP or GIF image"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def upload(django_capture_on_commit_callbacks):
    """Upload through the admin form and commit, so the rendition task runs as it would."""

    def upload_and_commit(name: str, content: bytes, *, instance: Image | None = None) -> Image:
        form = image_form(name, content, instance=instance)
        assert form.is_valid(), form.errors
        with django_capture_on_commit_callbacks(execute=True):
            image = form.save()
        image.refresh_from_db()
        return image

    return upload_and_commit


def image_form(name: str, content: bytes, *, instance: Image | None = None) -> ImageAdminForm:
    return ImageAdminForm(
        data={"alt_text": "Protesters outside the town hall."},
        files={"file": SimpleUploadedFile(name, content)},
        instance=instance or Image(post=PostFactory()),
    )


def encoded(image: PILImage.Image, image_format: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **options)
    return buffer.getvalue()


def picture_bytes(image_format: str, size=(120, 80), mode="RGB") -> bytes:
    return encoded(PILImage.new(mode, size, "seagreen"), image_format)


def phone_photo(width: int = 80, height: int = 40) -> bytes:
    """A JPEG as a phone writes it: pixels stored sideways with an orientation tag to turn
    them upright (left half red, right half blue), the GPS position, a comment and XMP."""
    photo = PILImage.new("RGB", (width, height), "red")
    photo.paste("blue", (width // 2, 0, width, height))
    exif = PILImage.Exif()
    exif[ORIENTATION] = 6
    exif[GPS_IFD] = {1: "N", 2: (51.0, 30.0, 12.5), 3: "W", 4: (0.0, 7.0, 39.0)}
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">exif:GPSLatitude 51,30N</x:xmpmeta>'
    return encoded(photo, "JPEG", exif=exif.tobytes(), comment=b"Shot at home", xmp=xmp)


def bomb_png(width: int, height: int) -> bytes:
    """A valid black-and-white PNG of width × height pixels, only kilobytes on disk.

    Written row by row through zlib, so the test never holds the pixels in memory either."""
    compressor = zlib.compressobj(9)
    row = bytes(1 + (width + 7) // 8)
    pixels = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()

    def chunk(kind: bytes, body: bytes) -> bytes:
        checksum = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", checksum)

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def stored_image(name: str) -> PILImage.Image:
    with default_storage.open(name) as file:
        image = PILImage.open(file)
        image.load()
    return image


def assert_no_metadata(name: str) -> None:
    image = stored_image(name)
    exif = image.getexif()
    assert len(exif) == 0
    assert GPS_IFD not in exif
    assert not {"exif", "xmp", "comment"} & image.info.keys()


def fail_if_decoded(monkeypatch) -> None:
    def load(self):
        raise AssertionError("the pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)


class TagCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def parse_tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    collector = TagCollector()
    collector.feed(html)
    return collector.tags


def render(source: str, **context) -> str:
    return Template("{% load blog_images %}" + source).render(Context(context))


def image_with_renditions(**file_options) -> Image:
    image = ImageFactory(**{f"file__{key}": value for key, value in file_options.items()})
    make_image_renditions.enqueue(image.pk)
    image.refresh_from_db()
    return image


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
    # Only the page cache's refresh: no re-encoding, no renditions task.
    assert [cb for cb in callbacks if cb.__module__ != "core.pagecache"] == []
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


# Renditions, made by the task once the upload is committed.


def test_upload_gets_renditions_from_the_task_after_commit(upload):
    image = upload("photo.jpg", picture_bytes("JPEG", size=(1000, 500)))
    assert {(r["width"], r["format"]) for r in image.renditions} == {
        (480, "webp"),
        (480, "jpeg"),
        (800, "webp"),
        (800, "jpeg"),
    }


def test_renditions_exist_for_each_width_the_original_fills_in_webp_and_jpeg():
    image = image_with_renditions(width=1700, height=850)
    stem = PurePosixPath(image.file.name).stem
    expected = []
    for width in (480, 800, 1200, 1600):
        expected += [
            (width, width // 2, "webp", f"renditions/{stem}-{width}.webp"),
            (width, width // 2, "jpeg", f"renditions/{stem}-{width}.jpg"),
        ]
    assert [(r["width"], r["height"], r["format"], r["name"]) for r in image.renditions] == expected
    for rendition in image.renditions:
        stored = stored_image(rendition["name"])
        assert stored.format == rendition["format"].upper()
        assert stored.size == (rendition["width"], rendition["height"])


def test_image_narrower_than_every_width_gets_one_rendition_at_its_own_width():
    image = image_with_renditions(width=300, height=200, format="PNG", filename="chart.png")
    assert [(r["width"], r["height"], r["format"]) for r in image.renditions] == [
        (300, 200, "webp"),
        (300, 200, "png"),
    ]


def test_gif_renditions_fall_back_to_png(upload):
    image = upload("animation.gif", picture_bytes("GIF", size=(600, 300)))
    assert {r["format"] for r in image.renditions} == {"webp", "png"}


def test_renditions_carry_no_exif_or_gps(upload):
    image = upload("IMG_2041.jpg", phone_photo(1000, 500))
    assert len(image.renditions) == 2
    for rendition in image.renditions:
        assert_no_metadata(rendition["name"])


def test_rendition_task_succeeds_and_skips_a_deleted_image():
    image = ImageFactory()
    image_id = image.pk
    assert make_image_renditions.enqueue(image_id).status == TaskResultStatus.SUCCESSFUL
    image.delete()
    assert make_image_renditions.enqueue(image_id).status == TaskResultStatus.SUCCESSFUL


# Files go when the image goes.


def test_deleting_an_image_deletes_its_file_and_renditions(django_capture_on_commit_callbacks):
    image = image_with_renditions(width=900, height=600)
    names = [image.file.name, *(r["name"] for r in image.renditions)]
    assert all(default_storage.exists(name) for name in names)
    with django_capture_on_commit_callbacks(execute=True):
        image.delete()
    assert not any(default_storage.exists(name) for name in names)


def test_deleting_a_post_deletes_its_image_files(django_capture_on_commit_callbacks):
    image = ImageFactory()
    with django_capture_on_commit_callbacks(execute=True):
        image.post.delete()
    assert not default_storage.exists(image.file.name)


def test_replacing_the_file_deletes_the_old_one_and_its_renditions(upload):
    image = upload("before.jpg", picture_bytes("JPEG", size=(600, 400)))
    old_names = [image.file.name, *(r["name"] for r in image.renditions)]
    image = upload("after.png", picture_bytes("PNG", size=(600, 400)), instance=image)
    assert not any(default_storage.exists(name) for name in old_names)
    assert image.file.name.endswith(".png")
    assert {r["format"] for r in image.renditions} == {"webp", "png"}


# Template tags.


def test_picture_offers_webp_and_fallback_srcsets_without_a_query(django_assert_num_queries):
    image = image_with_renditions(width=1000, height=500)
    with django_assert_num_queries(0):
        html = render('{% picture image sizes="(min-width: 48rem) 44rem, 100vw" %}', image=image)
    [(picture, _), (source_tag, source), (img_tag, img)] = parse_tags(html)
    assert (picture, source_tag, img_tag) == ("picture", "source", "img")
    stem = PurePosixPath(image.file.name).stem
    assert source["type"] == "image/webp"
    assert source["srcset"] == (
        f"/media/renditions/{stem}-480.webp 480w, /media/renditions/{stem}-800.webp 800w"
    )
    assert source["sizes"] == img["sizes"] == "(min-width: 48rem) 44rem, 100vw"
    assert img["srcset"] == (
        f"/media/renditions/{stem}-480.jpg 480w, /media/renditions/{stem}-800.jpg 800w"
    )
    assert img["src"] == f"/media/renditions/{stem}-800.jpg"
    assert (img["width"], img["height"]) == ("800", "400")
    assert img["alt"] == image.alt_text
    assert (img["loading"], img["decoding"]) == ("lazy", "async")
    assert "fetchpriority" not in img


def test_eager_picture_is_also_fetched_with_high_priority():
    image = image_with_renditions(width=1000, height=500)
    html = render('{% picture image loading="eager" class_name="article__image" %}', image=image)
    img = dict(parse_tags(html))["img"]
    assert (img["loading"], img["fetchpriority"]) == ("eager", "high")
    assert img["class"] == "article__image"


def test_picture_before_renditions_is_the_original_with_its_size_and_alt():
    image = ImageFactory()
    html = render("{% picture image %}", image=image)
    [(tag, img)] = parse_tags(html)
    assert tag == "img"
    assert img["src"] == image.file.url
    assert (img["width"], img["height"]) == ("64", "48")
    assert img["alt"] == image.alt_text
    assert "srcset" not in img and "sizes" not in img


def test_picture_of_no_image_renders_nothing():
    assert render("{% picture image %}", image=None).strip() == ""


def test_picture_refuses_an_unknown_loading_value():
    with pytest.raises(TemplateSyntaxError):
        render('{% picture image loading="later" %}', image=ImageFactory())


def test_image_url_is_the_fallback_rendition_nearest_the_width():
    image = image_with_renditions(width=1000, height=500)
    stem = PurePosixPath(image.file.name).stem
    assert render("{% image_url image width=1200 %}", image=image) == (
        f"/media/renditions/{stem}-800.jpg"
    )
    assert render("{% image_url image width=400 %}", image=image) == (
        f"/media/renditions/{stem}-480.jpg"
    )


def test_image_url_before_renditions_is_the_original():
    image = ImageFactory()
    assert render("{% image_url image %}", image=image) == image.file.url


# What the writer pastes into the body.


def test_snippet_renders_to_an_img_of_the_upload():
    image = ImageFactory(alt_text="Rents in 2024 [chart], per month")
    assert image_snippet(image) == (
        f"![Rents in 2024 \\[chart\\], per month](/media/{image.file.name})"
    )
    [(tag, img)] = parse_tags(render_post_body(image_snippet(image)))[1:]
    assert tag == "img"
    assert img["src"] == image.file.url
    assert img["alt"] == "Rents in 2024 [chart], per month"
