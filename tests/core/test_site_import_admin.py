"""The admin's import page: staff only, POST with CSRF, size-limited uploads, a report."""

import html
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from blog.models import Post
from newsletter.models import Subscriber
from tests.core.site_import_support import SAMPLES

pytestmark = pytest.mark.django_db
URL = "admin:import-site"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def text_of(content: bytes) -> str:
    """The page's text as a reader sees it, one space between cells and elements."""
    body = re.sub(r"(?s)<(script|style|svg)\b.*?</\1>", " ", content.decode())
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def upload(name="ghost.json", content=None):
    return SimpleUploadedFile(name, content or (SAMPLES / name).read_bytes())


def test_only_staff_reach_the_page(client):
    response = client.get(reverse(URL))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_a_dry_run_reports_and_saves_nothing(author_client):
    response = author_client.post(
        reverse(URL), {"format": "ghost", "export": upload(), "action": "dry-run"}
    )

    assert response.status_code == 200
    page = text_of(response.content)
    assert "Dry run: nothing was saved" in page
    assert "would be created post Ferries and fares" in page
    assert Post.objects.count() == 0


def test_import_then_import_again(author_client):
    response = author_client.post(
        reverse(URL), {"format": "ghost", "export": upload(), "action": "import"}
    )
    assert "Import finished" in text_of(response.content)
    assert Post.objects.filter(title="Ferries and fares").exists()

    again = author_client.post(
        reverse(URL), {"format": "ghost", "export": upload(), "action": "import"}
    )
    assert "0 created, 5 skipped, 0 failed." in text_of(again.content)
    assert Post.objects.count() == 3


def test_members_csv_from_the_admin_keeps_statuses(author_client):
    author_client.post(
        reverse(URL),
        {"format": "ghost", "export": upload("ghost-members.csv"), "action": "import"},
    )
    assert dict(Subscriber.objects.values_list("email", "status")) == {
        "laia@readers.example": "active",
        "oriol@readers.example": "unsubscribed",
        "bounce@readers.example": "unsubscribed",
    }


def test_uploads_are_size_limited(author_client, settings):
    settings.SITE_IMPORT_MAX_UPLOAD_BYTES = 100

    response = author_client.post(
        reverse(URL), {"format": "ghost", "export": upload(), "action": "import"}
    )

    assert response.status_code == 400
    assert "the import page takes at most 100" in text_of(response.content)
    assert Post.objects.count() == 0


def test_a_broken_export_says_why_and_changes_nothing(author_client):
    response = author_client.post(
        reverse(URL),
        {"format": "wordpress", "export": upload("x.xml", b"<rss><channel>"), "action": "import"},
    )

    assert response.status_code == 400
    page = text_of(response.content)
    assert "Nothing was imported" in page
    assert "export.xml is not complete, well-formed XML" in page
    assert Post.objects.count() == 0


def test_other_file_types_are_refused(author_client):
    response = author_client.post(
        reverse(URL), {"format": "ghost", "export": upload("a.exe", b"MZ"), "action": "import"}
    )
    assert response.status_code == 400
    assert "Upload a .xml, .json, .csv or .zip file." in text_of(response.content)


def test_post_needs_the_csrf_token(author_client):
    client = Client(enforce_csrf_checks=True)
    client.force_login(author_client.author)

    response = client.post(reverse(URL), {"format": "ghost", "export": upload()})

    assert response.status_code == 403
    assert Post.objects.count() == 0


def test_only_get_and_post(author_client):
    assert author_client.put(reverse(URL)).status_code == 405
