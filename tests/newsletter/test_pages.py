"""Cacheable pages carrying the form, and the pages' query budgets."""

import pytest
from django.urls import reverse

from newsletter import tokens
from newsletter.consent import current_consent_text
from tests.factories import PostFactory
from tests.newsletter.factories import SubscriberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def post():
    return PostFactory(title="Buses first")


def pages_with_the_form(post):
    return {
        "home": reverse("blog:post-list"),
        "post": post.get_absolute_url(),
        "newsletter": reverse("newsletter:subscribe"),
    }


@pytest.mark.parametrize("page", ["home", "post", "newsletter"])
def test_pages_with_the_signup_form_set_no_cookie_and_stay_cacheable(client, post, page):
    url = pages_with_the_form(post)[page]
    response = client.get(url)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'action="/newsletter/signup/"' in html
    assert "csrfmiddlewaretoken" not in html
    assert not response.cookies
    assert "Set-Cookie" not in response.headers
    assert "cookie" not in response.headers.get("Vary", "").lower()
    assert "public" in response["Cache-Control"]
    assert "s-maxage" in response["Cache-Control"]


def test_the_signup_form_is_under_the_post_and_in_the_footer_of_other_pages(client, post):
    html = client.get(post.get_absolute_url()).content.decode()
    assert 'id="signup-post-email"' in html
    assert 'id="signup-footer-email"' not in html  # one form per page
    assert ">Sign up for my newsletter</h2>" in html
    assert html.index("</article>") < html.index('id="signup-post-email"')
    home = client.get(reverse("blog:post-list")).content.decode()
    assert 'id="signup-footer-email"' in home


def test_the_form_is_labelled_and_shows_the_current_consent_text(client):
    html = client.get(reverse("newsletter:subscribe")).content.decode()
    assert '<label class="signup-form__label" for="signup-page-email">Email address</label>' in html
    assert 'aria-describedby="signup-page-consent"' in html
    assert current_consent_text() in html
    assert 'role="status" aria-live="polite"' in html
    assert 'src="/static/js/newsletter.js" defer' in html


def test_the_newsletter_page_says_what_subscribers_get_and_how_often(client):
    html = client.get(reverse("newsletter:subscribe")).content.decode()
    assert "best articles and OpEds from the week, along with the major news headlines" in html
    assert "Once a week" in html
    assert 'id="signup-footer-email"' not in html  # no second form on the page itself


def test_the_header_subscribe_link_opens_the_newsletter_page(client):
    html = client.get(reverse("blog:post-list")).content.decode()
    assert f'href="{reverse("newsletter:subscribe")}"' in html
    assert ">Subscribe</a>" in html


def test_the_newsletter_page_is_served_from_the_cache_the_second_time(
    client, django_assert_num_queries
):
    client.get(reverse("newsletter:subscribe"))
    with django_assert_num_queries(0):
        assert client.get(reverse("newsletter:subscribe")).status_code == 200


@pytest.mark.parametrize(
    ("name", "budget"),
    [("subscribe", 3), ("check-inbox", 3)],
)
def test_public_newsletter_pages_stay_within_their_query_budget(
    client, name, budget, django_assert_max_num_queries
):
    with django_assert_max_num_queries(budget):
        assert client.get(reverse(f"newsletter:{name}")).status_code == 200


def test_personal_link_pages_stay_within_their_query_budget(client, django_assert_max_num_queries):
    subscriber = SubscriberFactory(pending=True)
    confirm = reverse("newsletter:confirm", kwargs={"token": tokens.make_confirm_token(subscriber)})
    unsubscribe = reverse(
        "newsletter:unsubscribe", kwargs={"token": tokens.make_unsubscribe_token(subscriber)}
    )
    preferences = reverse(
        "newsletter:preferences", kwargs={"token": tokens.make_preferences_token(subscriber)}
    )
    for url in (confirm, unsubscribe, preferences):
        with django_assert_max_num_queries(3):
            assert client.get(url).status_code == 200


def test_personal_link_pages_are_never_cached(client):
    subscriber = SubscriberFactory()
    url = reverse(
        "newsletter:preferences", kwargs={"token": tokens.make_preferences_token(subscriber)}
    )
    response = client.get(url)
    assert "private" in response["Cache-Control"]
    assert "no-store" in response["Cache-Control"]
