"""A signup records the post whose form it came from, checked on the server."""

import re

import pytest
from django.urls import reverse

from newsletter.models import Subscriber
from tests.factories import PostFactory
from tests.newsletter.support import post_signup, signup_data

pytestmark = pytest.mark.django_db


def hidden_post_inputs(html: str) -> list[str]:
    return re.findall(r'<input type="hidden" name="post" value="([^"]*)">', html)


def test_the_form_under_a_post_names_the_post_and_no_other_form_does(client):
    post = PostFactory()
    assert hidden_post_inputs(client.get(post.get_absolute_url()).content.decode()) == [
        str(post.pk)
    ]
    assert hidden_post_inputs(client.get(reverse("blog:post-list")).content.decode()) == []
    assert hidden_post_inputs(client.get(reverse("newsletter:subscribe")).content.decode()) == []


def test_a_signup_from_a_post_records_it(client, django_capture_on_commit_callbacks):
    post = PostFactory()
    with django_capture_on_commit_callbacks(execute=True):
        response = post_signup(client, signup_data(post=str(post.pk)))
    assert response.status_code == 303
    assert Subscriber.objects.get().source_post == post


@pytest.mark.parametrize("draft", [True, False])
def test_only_a_published_post_is_recorded_and_the_signup_still_counts(
    client, django_capture_on_commit_callbacks, draft
):
    target = PostFactory(draft=True).pk if draft else 999_999
    with django_capture_on_commit_callbacks(execute=True):
        response = post_signup(client, signup_data(post=str(target)))
    assert response.status_code == 303
    subscriber = Subscriber.objects.get()
    assert subscriber.source_post is None
    assert subscriber.status == Subscriber.Status.PENDING


@pytest.mark.parametrize("value", ["abc", "-1", "0", "1e9", "99999999999999999999"])
def test_a_tampered_post_field_is_refused_as_a_stale_form_not_a_500(client, value):
    response = post_signup(client, signup_data(post=value))
    assert response.status_code == 400
    assert not Subscriber.objects.exists()
