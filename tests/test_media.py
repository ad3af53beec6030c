import io

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from PIL import Image as PILImage

from blog.models import Image
from tests.factories import PostFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored_image(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    buffer = io.BytesIO()
    PILImage.new("RGB", (64, 48), (10, 90, 140)).save(buffer, "JPEG")
    return Image.objects.create(
        post=PostFactory(),
        file=ContentFile(buffer.getvalue(), name="harbour.jpg"),
        alt_text="A harbour",
    )


def test_uploaded_images_are_served_with_headers_that_stop_execution(client, stored_image):
    response = client.get(stored_image.file.url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


@pytest.mark.parametrize("path", ["../config/settings/base.py", "%2e%2e/manage.py", "nope.jpg"])
def test_paths_outside_media_or_missing_files_are_refused(client, stored_image, path):
    response = client.get(f"/media/{path}")
    assert response.status_code in (400, 404)
    assert b"SECRET_KEY" not in response.content and b"django" not in response.content


def test_media_url_is_reversible():
    assert reverse("media", kwargs={"path": "uploads/x.jpg"}) == "/media/uploads/x.jpg"
