import base64

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from rest_framework.authentication import BasicAuthentication
from rest_framework.settings import api_settings

from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-password"


def attempt(client, username, password, ip="198.51.100.7"):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": reverse("admin:index")},
        REMOTE_ADDR=ip,
    )


def test_right_password_signs_the_author_in(client):
    author = StaffFactory(username="author")
    response = attempt(client, "author", PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(author.pk)
    # From a browser not seen before the admin then waits for the emailed code
    # (tests/core/test_staff_verification.py).
    assert client.get(reverse("admin:index"))["Location"].startswith(reverse("staff:verify"))


def test_after_the_failure_limit_even_the_right_password_is_refused(client, settings):
    StaffFactory(username="author")
    statuses = [
        attempt(client, "author", "wrong-guess").status_code
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert statuses == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    locked = attempt(client, "author", PASSWORD)
    assert locked.status_code == 429
    assert "Too many failed sign-in attempts" in locked.content.decode()
    assert client.get(reverse("admin:index")).status_code == 302


def test_the_lockout_says_when_to_come_back(client, settings):
    StaffFactory(username="author")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        locked = attempt(client, "author", "wrong-guess")
    assert locked.status_code == 429
    assert locked["Retry-After"] == str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    assert "paused for 30 minutes" in locked.content.decode()


def test_lockout_keys_on_username_and_address_together(client, settings):
    StaffFactory(username="author")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "author", "wrong-guess", ip="198.51.100.7")
    # The author elsewhere is not locked out by someone guessing from another network.
    assert attempt(client, "author", PASSWORD, ip="203.0.113.9").status_code == 302


def test_a_cool_off_time_is_set_so_lockouts_end_by_themselves(settings):
    assert settings.AXES_COOLOFF_TIME.total_seconds() > 0


def test_an_old_pbkdf2_hash_is_upgraded_to_argon2_on_login(client, settings):
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.Argon2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    ]
    from django.contrib.auth.hashers import make_password

    user = StaffFactory(username="author")
    get_user_model().objects.filter(pk=user.pk).update(
        password=make_password(PASSWORD, hasher="pbkdf2_sha256")
    )
    assert attempt(client, "author", PASSWORD).status_code == 302
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$")


def test_http_basic_auth_signs_nobody_in_anywhere(client):
    """A second password form outside the admin's lockout: none, not even for the API library."""
    StaffFactory(username="author")
    credentials = base64.b64encode(f"author:{PASSWORD}".encode()).decode()
    for url in (reverse("admin:index"), reverse("accounts:my-comments")):
        response = client.get(url, headers={"authorization": f"Basic {credentials}"})
        assert response.status_code == 302, url
    assert BasicAuthentication not in api_settings.DEFAULT_AUTHENTICATION_CLASSES
