"""Image renditions, file clean-up, the picture template tags and body snippets."""

from pathlib import PurePosixPath

import pytest
from django.core.files.storage import default_storage
from django.tasks import TaskResultStatus
from django.template import TemplateSyntaxError

from blog.forms import image_snippet
from blog.tasks import make_image_renditions
from core.markup import render_post_body
from tests.blog.images_support import (
    assert_no_metadata,
    image_with_renditions,
    parse_tags,
    phone_photo,
    picture_bytes,
    render,
    stored_image,
)
from tests.factories import ImageFactory

pytestmark = pytest.mark.django_db


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
