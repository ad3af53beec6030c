import pytest
from django.urls import reverse

from tests.factories import PostFactory

pytestmark = pytest.mark.django_db


def test_every_page_sends_a_strict_content_security_policy(client):
    post = PostFactory()
    for url in (reverse("blog:post-list"), post.get_absolute_url(), "/missing/"):
        policy = client.get(url)["Content-Security-Policy"]
        assert "default-src 'self'" in policy
        assert "script-src 'self'" in policy
        assert "unsafe-inline" not in policy
        assert "frame-ancestors 'none'" in policy
        assert "object-src 'none'" in policy


def test_security_headers(client):
    response = client.get(reverse("blog:post-list"))
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "geolocation=()" in response["Permissions-Policy"]


def test_unknown_host_is_rejected(client):
    assert client.get("/", headers={"host": "evil.example"}).status_code == 400


def test_new_passwords_are_hashed_with_argon2(settings):
    from django.contrib.auth.hashers import make_password

    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    assert make_password("a-long-test-password").startswith("argon2$argon2id$")


def test_base_settings_put_argon2_first():
    from config.settings import base

    assert base.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_pages_reference_no_other_host(client):
    post = PostFactory()
    for url in (reverse("blog:post-list"), post.get_absolute_url()):
        html = client.get(url).content.decode()
        for attribute in ('src="http', 'src="//', 'href="//'):
            assert attribute not in html
