"""Uploads in S3-compatible storage, shared by every web node and worker (MEDIA_STORAGE_URL).

The store is moto's S3 server, run on 127.0.0.1 for the test: the real boto3 client talks HTTP
to it, and the page's image addresses are fetched back over HTTP as a browser would.
"""

import json
import socket
import urllib.request

import pytest
from django.core.exceptions import ImproperlyConfigured

from config import env
from tests.blog.images_support import image_form, parse_tags, picture_bytes

pytestmark = pytest.mark.django_db

BUCKET = "opinion-media"
PUBLIC_READ = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": "*",
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{BUCKET}/*",
        }
    ],
}


def test_without_a_url_uploads_stay_on_this_machine():
    storage, origin = env.media_storage_from_url(None)
    assert storage == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    assert origin is None


def test_an_s3_url_names_bucket_keys_endpoint_and_prefix():
    storage, origin = env.media_storage_from_url(
        "s3://AKIA%2Fkey:se%40cret@opinion-media/site-1?endpoint_url=http://127.0.0.1:9000/"
        "&region=eu-west-3"
    )
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    assert storage["OPTIONS"] | {} == {
        "bucket_name": "opinion-media",
        "location": "site-1",
        "access_key": "AKIA/key",
        "secret_key": "se@cret",
        "endpoint_url": "http://127.0.0.1:9000",
        "region_name": "eu-west-3",
        "querystring_auth": False,
        "default_acl": None,
        "file_overwrite": False,
        "addressing_style": "path",
    }
    assert origin == "http://127.0.0.1:9000"


def test_a_cdn_name_is_where_media_is_served_from():
    _, origin = env.media_storage_from_url("s3://k:s@b?custom_domain=media.example.org")
    assert origin == "https://media.example.org"


@pytest.mark.parametrize(
    "url", ["https://bucket/x", "s3://", "s3://k:s@b?endpoint=http://x", "ftp://k@b"]
)
def test_a_malformed_storage_url_is_a_one_line_error(url):
    with pytest.raises(ImproperlyConfigured, match="MEDIA_STORAGE_URL"):
        env.media_storage_from_url(url)


@pytest.fixture(scope="module")
def s3_server():
    moto_server = pytest.importorskip("moto.server")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_media(s3_server, settings, monkeypatch):
    import boto3

    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    client = boto3.client(
        "s3",
        endpoint_url=s3_server,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=BUCKET)
    # What the runbook asks of the operator: anyone may read media, as on any public blog.
    client.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(PUBLIC_READ))
    storage, _ = env.media_storage_from_url(
        f"s3://test:test@{BUCKET}/media?endpoint_url={s3_server}&region=us-east-1"
    )
    # Django's setting_changed receiver rebuilds `default_storage` from the new STORAGES.
    settings.STORAGES = {**settings.STORAGES, "default": storage}
    yield client
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def test_an_uploaded_image_and_its_renditions_live_in_the_bucket(
    s3_media, s3_server, client, django_capture_on_commit_callbacks
):
    form = image_form("march.jpg", picture_bytes("JPEG", size=(1300, 800)))
    assert form.is_valid(), form.errors
    with django_capture_on_commit_callbacks(execute=True):
        image = form.save()
        image.is_cover = True
        image.save()
    image.refresh_from_db()
    keys = {item["Key"] for item in s3_media.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert f"media/{image.file.name}" in keys
    assert {f"media/{r['name']}" for r in image.renditions} <= keys
    assert len(image.renditions) >= 2

    page = client.get(image.post.get_absolute_url()).content.decode()
    sources = [attrs["src"] for tag, attrs in parse_tags(page) if tag == "img"]
    assert sources, "the post page shows its cover"
    for src in sources:
        assert src.startswith(f"{s3_server}/{BUCKET}/media/renditions/")
        with urllib.request.urlopen(src, timeout=10) as response:
            assert response.status == 200
            assert response.read(3) in (b"\xff\xd8\xff", b"RIF")
