from io import StringIO

import pytest
from django.core.management import call_command

from blog.demo import demo_posts
from blog.models import Post

pytestmark = pytest.mark.django_db


def test_demo_content_loads_and_a_second_run_adds_nothing():
    call_command("load_demo_content", stdout=StringIO())
    count = Post.objects.count()
    assert count == len(demo_posts()) >= 4
    call_command("load_demo_content", stdout=StringIO())
    assert Post.objects.count() == count
    assert Post.objects.published().count() == count


def test_demo_content_has_an_oped_with_typographic_quotes_and_a_question():
    opeds = [post for post in demo_posts() if post.kind == "oped"]
    assert opeds
    text = " ".join(post.body for post in opeds)
    for character in "“”’—":
        assert character in text
    assert "comments below" in text


def test_ensure_author_creates_the_superuser_once(monkeypatch):
    from django.contrib.auth import get_user_model

    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "writer")
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "writer@example.org")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-test-password")
    call_command("ensure_author", stdout=StringIO())
    call_command("ensure_author", stdout=StringIO())
    user = get_user_model().objects.get(username="writer")
    assert user.is_superuser and user.check_password("a-long-test-password")
