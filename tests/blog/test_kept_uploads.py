"""A failed save keeps the chosen image (issue 11): browsers cannot refill a file input, so a
checked upload is kept on the server and named on the page until the post saves."""

import re

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from blog.forms import KEPT_UPLOAD_DIR
from blog.models import Image, Post
from tests.blog.images_support import STORED_NAME, phone_photo
from tests.blog.test_admin import post_form

pytestmark = pytest.mark.django_db

KEPT_TOKEN = re.compile(r'name="images-0-file-kept" value="([^"]+)"')


def with_image(author, **image):
    data = post_form(author, status="draft", **{"images-TOTAL_FORMS": 1})
    data |= {f"images-0-{name}": value for name, value in image.items()}
    return data


def kept_files():
    try:
        return default_storage.listdir(KEPT_UPLOAD_DIR)[1]
    except FileNotFoundError:
        return []


def test_an_image_without_alt_text_is_kept_with_the_text_and_saved_next_time(
    author_client, django_capture_on_commit_callbacks
):
    photo = SimpleUploadedFile("harbour.jpg", phone_photo(), content_type="image/jpeg")
    data = with_image(author_client.author, file=photo, alt_text="")
    response = author_client.post(reverse("admin:blog_post_add"), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Kept: <strong>harbour.jpg</strong>" in page
    assert "Second “paragraph”." in page  # the text is still in the form
    assert not Post.objects.exists() and len(kept_files()) == 1

    token = KEPT_TOKEN.search(page).group(1)
    again = with_image(author_client.author, alt_text="The harbour at dusk")
    again["images-0-file-kept"] = token
    with django_capture_on_commit_callbacks(execute=True):
        response = author_client.post(reverse("admin:blog_post_add"), again)
    assert response.status_code == 302
    image = Image.objects.get()
    assert STORED_NAME.fullmatch(image.file.name)
    assert image.alt_text == "The harbour at dusk"
    assert kept_files() == []


def test_a_kept_image_has_lost_its_location_details(author_client):
    photo = SimpleUploadedFile("harbour.jpg", phone_photo(), content_type="image/jpeg")
    author_client.post(
        reverse("admin:blog_post_add"), with_image(author_client.author, file=photo, alt_text="")
    )
    [name] = kept_files()
    with default_storage.open(f"{KEPT_UPLOAD_DIR}/{name}", "rb") as kept:
        content = kept.read()
    assert b"Shot at home" not in content and b"GPSLatitude" not in content


def test_a_refused_image_says_why_and_keeps_the_rest_of_the_form(author_client):
    text = SimpleUploadedFile("notes.jpg", b"this is not a picture", content_type="image/jpeg")
    data = with_image(author_client.author, file=text, alt_text="Notes")
    response = author_client.post(reverse("admin:blog_post_add"), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "This file is not a JPEG, PNG, WebP or GIF image" in page
    assert "Second “paragraph”." in page and 'value="Notes"' in page
    assert "Kept:" not in page and kept_files() == []


@pytest.mark.parametrize("token", ["", "garbage", "a:b:c"])
def test_a_bad_kept_token_is_an_ordinary_missing_file(author_client, token):
    data = with_image(author_client.author, alt_text="Harbour")
    data["images-0-file-kept"] = token
    response = author_client.post(reverse("admin:blog_post_add"), data)
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert not Post.objects.exists()
