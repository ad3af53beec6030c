"""Fixtures of the staff sign-in tests (test_staff_verification.py, test_staff_authenticator.py)."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.core.staff_support import FIREFOX, PASSWORD
from tests.factories import StaffFactory


@pytest.fixture
def author():
    return StaffFactory(username="author", email="author@example.org")


@pytest.fixture
def sign_in(django_capture_on_commit_callbacks):
    """Sign in through the admin's login view, running the mail sent after commit."""

    def sign_in(client, username="author"):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                reverse("admin:login"),
                {"username": username, "password": PASSWORD, "next": reverse("admin:index")},
            )

    return sign_in


@pytest.fixture
def browser():
    return Client(HTTP_USER_AGENT=FIREFOX)
