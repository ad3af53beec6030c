"""Moving out from the admin: System › Export the site, then the download, in a real browser."""

import io
import json
import re
import zipfile

import pytest

from tests.core.export_support import make_site
from tests.e2e.conftest import check_page, screenshot, sign_in_to_admin

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def test_the_writer_downloads_the_site_from_the_system_section(page, live_server, now):
    make_site(now=now)  # its superuser is "writer"
    sign_in_to_admin(page, "writer")
    page.get_by_role("link", name="Export the site").first.click()
    page.wait_for_url(re.compile(r"/admin/export/$"))
    check_page(page, page.context.request.get(page.url))
    assert page.get_by_role("heading", name="Export the site").count() == 1
    screenshot(page, "admin-export-site")

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download the export (.zip)").click()
    download = download_info.value
    assert download.suggested_filename == f"the-dispatch-export-{now:%Y-%m-%d}.zip"
    archive = zipfile.ZipFile(io.BytesIO(download.path().read_bytes()))
    site = json.loads(archive.read("site.json"))
    assert site["counts"]["posts"] == 3 and site["counts"]["subscribers"] == 4
    assert "README.md" in archive.namelist()
