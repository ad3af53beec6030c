"""Moving in from the admin, in Chromium: upload a WordPress export, dry run, then import."""

import pytest

from blog.models import Post
from comments.models import Comment
from tests.core.site_import_support import SAMPLES
from tests.e2e.conftest import check_page, screenshot, sign_in_to_admin
from tests.factories import StaffFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def writer(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return StaffFactory(username="author")


def test_the_writer_dry_runs_then_imports_a_wordpress_export(page, writer):
    sign_in_to_admin(page)
    page.get_by_role("link", name="Move in from WordPress, Ghost or Substack").click()
    page.get_by_label("Export from").select_option("wordpress")
    page.get_by_label("Export file").set_input_files(str(SAMPLES / "wordpress.xml"))
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Dry run").click()

    report = page.get_by_role("region", name="The report, line by line")
    assert "would be created" in report.inner_text()
    assert page.get_by_role("heading", name="Dry run: nothing was saved").is_visible()
    assert Post.objects.count() == 0
    check_page(page, navigation.value)
    screenshot(page, "admin-site-import-dry-run")

    page.get_by_label("Export file").set_input_files(str(SAMPLES / "wordpress.xml"))
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Import").click()

    assert page.get_by_role("heading", name="Import finished").is_visible()
    assert Post.objects.count() == 3
    assert Comment.objects.count() == 4
    check_page(page, navigation.value)
    screenshot(page, "admin-site-import-done")
