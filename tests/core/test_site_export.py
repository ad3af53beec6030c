"""Moving out (issue 14): `manage.py export_site` and the admin's "Export the site" page.

What the archive holds is read back from the zip bytes: its entries, the front matter through
a real YAML reader, the JSON, the media bytes, and what must never be in it.
"""

import csv
import io
import os
import stat
import zipfile

import pytest
import yaml
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from blog.models import Post
from core.transfer import export
from core.transfer.frontmatter import front_matter
from newsletter.addresses import suppression_digest
from newsletter.models import Subscriber
from tests.core.export_support import HOSTILE_TITLE, Archive, export_bytes, make_site
from tests.factories import PostFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def site(now):
    return make_site(now=now)


def split_front_matter(text: str) -> tuple[dict, str]:
    assert text.startswith("---\n")
    head, body = text[4:].split("\n---\n", 1)
    return yaml.safe_load(head), body


def test_the_archive_has_a_readme_site_json_and_each_post_as_markdown_and_json(site, now):
    archive = Archive(export_bytes(now=now))
    stems = {
        f"posts/{post.publish_at or post.created_at:%Y-%m-%d}-{post.slug}"
        for post in Post.objects.all()
    }
    assert set(archive.names) >= {"README.md", "site.json", "comments.json"}
    assert set(archive.names) >= {"subscribers.csv", "consent.json"}
    assert {name for name in archive.names if name.startswith("posts/")} == {
        f"{stem}.{extension}" for stem in stems for extension in ("md", "json")
    }
    assert len(archive.names) == len(set(archive.names))
    readme = archive.text("README.md")
    for name in ("site.json", "posts/<date>-<slug>.md", "comments.json", "consent.json"):
        assert f"`{name}`" in readme
    site_json = archive.json("site.json")
    assert site_json["format"] == "dispatch" and site_json["format_version"] == 1
    assert site_json["site"]["name"] == "The Dispatch"
    assert site_json["exported_at"] == now.astimezone(export.datetime.UTC).isoformat()
    assert site_json["tags"] == [
        {
            "name": "Transport",
            "slug": "transport",
            "description": "Buses, trains.",
            "is_demo": False,
        }
    ]
    [author] = site_json["authors"]
    assert author["display_name"] == "Maren Adair" and author["bio"] == "Writes *OpEds*."
    assert site_json["counts"]["posts"] == 3


def test_front_matter_reads_back_as_the_post_whatever_its_title(site):
    archive = Archive(export_bytes())
    post = site["post"]
    fields, body = split_front_matter(
        archive.text(f"posts/{post.publish_at:%Y-%m-%d}-buses-first.md")
    )
    assert fields["title"] == "Buses first"
    assert fields["slug"] == "buses-first"
    assert fields["status"] == "published"
    assert fields["tags"] == ["Transport"]
    assert fields["old_slugs"] == ["buses-first-draft-title"]
    assert fields["excerpt"] == post.standfirst
    assert fields["feature_image"] == f"media/{site['cover'].file.name}"
    assert fields["date"] == post.publish_at.astimezone(export.datetime.UTC).isoformat()
    assert body == "\n" + post.body

    hostile = site["hostile"]
    fields, body = split_front_matter(
        archive.text(f"posts/{hostile.publish_at:%Y-%m-%d}-hostile.md")
    )
    assert fields["title"] == HOSTILE_TITLE
    assert fields["slug"] == "hostile"
    assert body == "\n" + hostile.body


@pytest.mark.parametrize(
    "value", ["yes", "null", "1e3", "- item", "a: b", "#", "\u2028\x85\ufeff", "’ “quoted” —"]
)
def test_the_front_matter_emitter_keeps_every_string_a_string(value):
    text = front_matter({"title": value, "tags": [value, "two"], "draft": False, "none": None})
    assert yaml.safe_load(text.strip("-\n")) == {
        "title": value,
        "tags": [value, "two"],
        "draft": False,
        "none": None,
    }


def test_the_json_of_a_post_has_every_field(site):
    archive = Archive(export_bytes())
    post, cover = site["post"], site["cover"]
    data = archive.json(f"posts/{post.publish_at:%Y-%m-%d}-buses-first.json")
    assert data["body"] == post.body and data["body_html"] == post.body_html
    assert data["url"] == post.get_absolute_url()
    assert data["tags"] == ["transport"]
    assert [old["slug"] for old in data["old_slugs"]] == ["buses-first-draft-title"]
    assert data["sources"] == [
        {
            "position": 0,
            "publisher": "Harbour Ledger",
            "title": "The vote",
            "url": "https://example.com/v",
        }
    ]
    assert [c["note"] for c in data["corrections"]] == ["An earlier version gave the wrong date."]
    [image] = data["images"]
    assert image["file"] == f"media/{cover.file.name}" and image["is_cover"] is True
    assert (image["alt_text"], image["caption"], image["credit"]) == (
        cover.alt_text,
        "Tuesday",
        "M. Adair",
    )
    with default_storage.open(cover.file.name, "rb") as stored:
        assert archive.zip.read(image["file"]) == stored.read()
    draft = archive.json(f"posts/{site['draft'].created_at:%Y-%m-%d}-unfinished.json")
    assert draft["status"] == "draft" and draft["publish_at"] is None


def test_comments_keep_their_threads_and_states_but_not_the_ip_address(site):
    archive = Archive(export_bytes())
    rows = {row["id"]: row for row in archive.json("comments.json")["comments"]}
    c = site["comments"]
    assert rows[c["top"].pk]["parent"] is None
    assert rows[c["reply"].pk]["parent"] == c["top"].pk
    assert rows[c["held"].pk]["parent"] == c["top"].pk
    assert rows[c["deleted"].pk]["parent"] == c["reply"].pk
    assert [rows[c[key].pk]["state"] for key in ("top", "held", "deleted")] == [
        "public",
        "held",
        "removed",
    ]
    assert rows[c["deleted"].pk]["body"] == ""
    assert rows[c["by_writer"].pk]["by_post_author"] is True
    assert rows[c["top"].pk]["by_post_author"] is False
    assert {row["post"] for row in rows.values()} == {"buses-first"}
    assert rows[c["top"].pk]["email"] == "zoe@example.org"
    assert all("ip" not in key for row in rows.values() for key in row)
    assert b"203.0.113.77" not in archive.everything()


def test_subscribers_keep_their_status_and_consent_and_the_erased_stay_erased(site):
    archive = Archive(export_bytes())
    table = list(csv.DictReader(io.StringIO(archive.text("subscribers.csv"))))
    statuses = {row["email"]: row["status"] for row in table}
    assert statuses == {
        "active@example.org": "active",
        "pending@example.org": "pending",
        "left@example.org": "unsubscribed",
        "bounced@example.org": "bounced",
    }
    consent = archive.json("consent.json")
    record = next(r for r in consent["subscribers"] if r["email"] == "active@example.org")
    assert record["consent"]["consent_text"] == site["subscribers"]["active"].consent_text
    assert record["consent"]["consent_text_version"] in consent["texts"]
    left = next(r for r in consent["subscribers"] if r["email"] == "left@example.org")
    assert left["consent"]["unsubscribe_method"] == "link"
    assert b"erased@example.org" not in archive.everything()
    assert consent["erased"] == [suppression_digest("erased@example.org")]


def test_no_password_hash_token_or_secret_key_is_in_the_archive(site):
    content = export_bytes()
    everything = Archive(content).everything()
    assert settings.SECRET_KEY.encode() not in everything
    for password in get_user_model().objects.values_list("password", flat=True):
        assert password.encode() not in everything
    for key, nonce in Subscriber.objects.values_list("key", "confirmation_nonce"):
        assert key.encode() not in everything
        if nonce:
            assert nonce.encode() not in everything
    assert b"writer@example.org" not in everything  # the writer's login email
    assert b'"username"' not in everything and b'"password"' not in everything


def test_the_export_costs_the_same_queries_for_two_posts_as_for_eight(site):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            export_bytes()
        return len(captured)

    first = queries()
    for _ in range(6):
        PostFactory(author=site["writer"])
    assert queries() == first


@pytest.mark.parametrize(
    "name", ["/etc/passwd", "../up.txt", "media/../../up.txt", "a\\b", "c:evil", "", "a//b"]
)
def test_names_outside_the_archive_are_refused(name):
    with pytest.raises(ValueError):
        export.safe_member_name(name)


def test_the_command_writes_a_private_archive_named_for_the_site_and_day(site, tmp_path, now):
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    out = io.StringIO()
    call_command("export_site", "--output", str(tmp_path), stdout=out)
    [written] = list(tmp_path.glob("*.zip"))
    assert written.name == f"the-dispatch-export-{now:%Y-%m-%d}.zip"
    assert stat.S_IMODE(os.stat(written).st_mode) == 0o600
    assert zipfile.ZipFile(written).testzip() is None
    assert "Wrote posts." in out.getvalue() and "3 posts" in out.getvalue()
    assert [path.name for path in tmp_path.iterdir()] == [written.name]  # no leftover part

    chosen = tmp_path / "mine.zip"
    call_command("export_site", "--output", str(chosen), stdout=io.StringIO())
    assert "site.json" in zipfile.ZipFile(chosen).namelist()


# The admin's "Export the site"


def test_a_superuser_gets_the_page_with_a_post_button_and_a_get_makes_nothing(client, site):
    client.force_login(site["writer"])
    url = reverse("admin:export-site")
    index = client.get(reverse("admin:index")).content.decode()
    assert f'href="{url}"' in index
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert '<form method="post">' in response.content.decode()
    assert "Content-Disposition" not in response.headers
    assert client.head(url).status_code == 200


def test_a_post_downloads_the_archive_named_for_the_site_and_day(client, site, now):
    client.force_login(site["writer"])
    response = client.post(reverse("admin:export-site"))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/zip"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="the-dispatch-export-{now:%Y-%m-%d}.zip"'
    )
    assert "no-store" in response.headers["Cache-Control"]
    archive = Archive(b"".join(response.streaming_content))
    assert archive.json("site.json")["counts"]["posts"] == 3
    response.close()


def test_staff_who_are_not_superusers_may_not_export(client, site):
    client.force_login(StaffFactory(username="editor", is_superuser=False))
    url = reverse("admin:export-site")
    assert client.get(url).status_code == 403
    assert client.post(url).status_code == 403
    assert f'href="{url}"' not in client.get(reverse("admin:index")).content.decode()


def test_anonymous_visitors_are_sent_to_sign_in_and_other_methods_refused(client, site):
    url = reverse("admin:export-site")
    response = client.post(url)
    assert response.status_code == 302 and reverse("admin:login") in response.headers["Location"]
    client.force_login(site["writer"])
    assert client.put(url).status_code == 405
    assert client.delete(url).status_code == 405


def test_the_post_needs_the_csrf_token(site):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(site["writer"])
    response = client.post(reverse("admin:export-site"))
    assert response.status_code == 403
    assert "Content-Disposition" not in response.headers
