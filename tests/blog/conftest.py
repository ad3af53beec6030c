import pytest

from blog.models import Image
from tests.blog.images_support import image_form


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Uploaded files of blog tests land in a folder of their own, removed afterwards."""
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
