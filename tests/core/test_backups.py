"""`core.backups` in-process: what the archive holds, and what a restore warns about.

The whole drill (back up, wipe, restore into a new database, follow old links) runs as separate
processes in tests/core/test_restore_drill.py (slow suite).
"""

import io
import json
import stat
import tarfile

import pytest
from django.core import serializers
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from blog.models import Post
from core import backup_format, backups
from tests.core.test_media_storage import BUCKET, s3_media, s3_server  # noqa: F401 (fixtures)
from tests.factories import PostFactory

OLD_KEY = "the-old-machine-" + "Zq7t" * 12


@pytest.fixture
def manifest(settings):
    settings.SECRET_KEY = OLD_KEY
    settings.SECRET_KEY_FALLBACKS = []
    return backups.link_manifest()


def test_every_emailed_link_is_listed_with_its_lifetime_setting(manifest, settings):
    purposes = {link["purpose"]: link for link in manifest["links"]}
    assert {
        "newsletter.confirm",
        "newsletter.unsubscribe",
        "newsletter.preferences",
        "newsletter.click",
        "comments.confirm",
        "comments.mute",
        "comments.change",
        "comments.accounts.sign-in",
        "blog.preview",
    } <= purposes.keys()
    assert purposes["comments.accounts.sign-in"]["max_age"] == settings.READER_SIGN_IN_MAX_AGE
    assert purposes["newsletter.unsubscribe"]["max_age"] is None
    assert OLD_KEY not in json.dumps(manifest)


def test_a_restore_with_the_same_settings_warns_of_nothing(manifest):
    assert backups.link_warnings(manifest) == []


def test_a_new_secret_key_breaks_old_links_until_the_old_one_is_a_fallback(manifest, settings):
    settings.SECRET_KEY = "the-new-machine-" + "Wm4p" * 12
    (warning,) = backups.link_warnings(manifest)
    assert "SECRET_KEY is neither SECRET_KEY nor one of SECRET_KEY_FALLBACKS" in warning
    settings.SECRET_KEY_FALLBACKS = [OLD_KEY]
    assert backups.link_warnings(manifest) == []


def test_a_lost_fallback_key_is_named_by_its_position(settings):
    settings.SECRET_KEY = OLD_KEY
    settings.SECRET_KEY_FALLBACKS = ["older-" + "Tq2v" * 13, "oldest-" + "Hn5c" * 13]
    recorded = backups.link_manifest()
    settings.SECRET_KEY_FALLBACKS = ["older-" + "Tq2v" * 13]
    (warning,) = backups.link_warnings(recorded)
    assert warning.startswith("SECRET_KEY_FALLBACKS #2 of the archive's 2 are not known here")


def test_another_site_url_or_link_lifetime_is_reported(manifest, settings):
    settings.SITE_URL = "https://moved.example"
    settings.NEWSLETTER_CONFIRM_MAX_AGE = 3600
    warnings = backups.link_warnings(manifest)
    assert any("SITE_URL was http://testserver and is https://moved.example" in w for w in warnings)
    assert any("NEWSLETTER_CONFIRM_MAX_AGE was 172800 and is 3600" in w for w in warnings)


def test_links_this_version_no_longer_reads_are_reported(manifest):
    manifest["links"].append(
        {"purpose": "old.kind", "description": "Old links", "max_age_setting": None}
    )
    (warning,) = backups.link_warnings(manifest)
    assert warning.startswith("Old links (old.kind) are no longer read")


@pytest.mark.django_db
def test_the_backup_format_keeps_times_to_the_microsecond():
    post = PostFactory()
    Post.objects.filter(pk=post.pk).update(updated_at=timezone.now().replace(microsecond=123456))
    stored = Post.objects.get(pk=post.pk)
    stock = serializers.serialize("jsonl", [stored])
    assert next(serializers.deserialize("jsonl", stock)).object.updated_at.microsecond == 123000
    backups._register_format()
    exact = serializers.serialize(backup_format.NAME, [stored])
    loaded = next(serializers.deserialize(backup_format.NAME, exact)).object
    assert loaded.updated_at == stored.updated_at


@pytest.mark.django_db(transaction=True)
def test_the_archive_holds_rows_media_and_manifest_and_only_its_owner_reads_it(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    PostFactory(title="Buses first")
    default_storage.save("uploads/photo.jpg", ContentFile(b"\xff\xd8 a photo"))
    path = tmp_path / "backups" / "site.tar.gz"

    report = backups.write_backup(path=path, stdout=io.StringIO())

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert (report.media_files, report.media_bytes) == (1, 10)
    with tarfile.open(path) as tar:
        manifest = json.load(tar.extractfile(backups.MANIFEST))
        data = tar.extractfile(backups.DATA).read().decode()
        assert tar.extractfile("media/uploads/photo.jpg").read() == b"\xff\xd8 a photo"
        assert all(member.mode == 0o600 for member in tar.getmembers())
    assert manifest["rows"]["blog.post"] == 1
    assert manifest["media"][0]["name"] == "uploads/photo.jpg"
    assert [row["model"] for row in map(json.loads, data.splitlines())].count("blog.post") == 1
    assert "Buses first" in data
    assert settings.SECRET_KEY not in data + json.dumps(manifest)
    assert "sessions.session" not in manifest["rows"]
    assert backups.rows_in_use() != []


@pytest.mark.django_db(transaction=True)
def test_media_in_s3_compatible_storage_is_backed_up_and_put_back(request, tmp_path):
    bucket = request.getfixturevalue("s3_media")  # moto's S3 server (tests/core/test_media_storage)
    default_storage.save("uploads/march.jpg", ContentFile(b"\xff\xd8 march"))
    default_storage.save("renditions/march-480.webp", ContentFile(b"RIFF 480"))
    path = tmp_path / "site.tar.gz"
    report = backups.write_backup(path=path, stdout=io.StringIO())
    assert report.media_files == 2
    for item in bucket.list_objects_v2(Bucket=BUCKET)["Contents"]:  # the bucket is lost
        bucket.delete_object(Bucket=BUCKET, Key=item["Key"])

    with tarfile.open(path) as tar:
        backups.restore_media(tar, backups.read_manifest(tar))

    keys = {item["Key"] for item in bucket.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert keys == {"media/uploads/march.jpg", "media/renditions/march-480.webp"}
    assert default_storage.open("uploads/march.jpg").read() == b"\xff\xd8 march"


@pytest.mark.django_db
def test_a_restored_post_is_neither_announced_again_nor_clears_caches_row_by_row(
    django_capture_on_commit_callbacks,
):
    post = PostFactory(publish_at=timezone.now())  # live now: its every-post email is due
    backups._register_format()
    stored = serializers.serialize(backup_format.NAME, [post])
    Post.objects.filter(pk=post.pk).delete()
    with django_capture_on_commit_callbacks() as callbacks:
        for row in serializers.deserialize(backup_format.NAME, stored):
            row.save()  # as loaddata saves it: raw
    assert callbacks == []
    assert Post.objects.get(pk=post.pk).is_published
