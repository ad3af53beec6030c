import pytest
from django.db import OperationalError
from django.test import Client
from django.urls import reverse

from blog.models import PostQuerySet

pytestmark = pytest.mark.django_db


@pytest.fixture
def visitor():
    return Client(raise_request_exception=False)


def test_database_outage_gives_a_503_with_retry_after_and_no_traceback(visitor, monkeypatch):
    def unreachable(*args, **kwargs):
        raise OperationalError("could not connect to server: Connection refused")

    monkeypatch.setattr(PostQuerySet, "published", unreachable)
    response = visitor.get(reverse("blog:post-list"))
    assert response.status_code == 503
    assert response["Retry-After"] == "120"
    html = response.content.decode()
    assert "We will be right back" in html
    assert "Traceback" not in html and "could not connect" not in html
    assert "no-cache" in response["Cache-Control"]


def test_other_errors_give_the_styled_500_without_details(visitor, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(PostQuerySet, "published", broken)
    response = visitor.get(reverse("blog:post-list"))
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong on our side" in html
    assert "secret internals" not in html and "Traceback" not in html


def test_404_reveals_no_settings(visitor):
    html = visitor.get("/no/such/page/").content.decode()
    assert "SECRET_KEY" not in html and "Traceback" not in html
