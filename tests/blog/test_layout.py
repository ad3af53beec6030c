"""The order a post page ends in, one signup form per page, and the home page's lead story."""

import lxml.html
import pytest
from django.urls import reverse

from blog.models import Tag
from tests.comments.support import add_comment
from tests.factories import PostFactory

pytestmark = pytest.mark.django_db


def document(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return lxml.html.fromstring(response.content)


def position(doc, xpath: str) -> int:
    """Where the first element matching `xpath` starts in document order."""
    (element,) = doc.xpath(xpath)[:1]
    return list(doc.iter()).index(element)


@pytest.fixture
def discussed_post():
    tag = Tag.objects.create(name="Transport", slug="transport")
    post = PostFactory(title="Ferries before flyovers")
    post.tags.add(tag)
    post.sources.create(publisher="City Council", title="Budget", url="https://example.org/b")
    PostFactory(title="Buses first").tags.add(tag)
    add_comment(post, text="Boats are cheaper than bridges.")
    return post


def test_the_post_ends_article_sources_invitation_discussion_related(client, discussed_post):
    doc = document(client, discussed_post.get_absolute_url())
    order = [
        position(doc, xpath)
        for xpath in (
            "//article[@class='article']",
            "//section[@class='sources']",
            "//section[@class='newsletter-cta']",
            "//section[@id='comments']",
            "//ol[@data-comment-list]",
            "//form[@data-comment-form]",
            "//section[@class='related']",
            "//footer[@class='site-footer']",
        )
    ]
    assert order == sorted(order)
    assert doc.xpath("//section[@class='sources']/ancestor::article"), "sources close the article"


def test_a_post_page_has_one_signup_form_and_other_pages_keep_the_footer_one(
    client, discussed_post
):
    post_page = document(client, discussed_post.get_absolute_url())
    assert len(post_page.xpath("//form[@data-signup-form]")) == 1
    assert post_page.xpath("//form[@data-signup-form]/ancestor::main")
    for url in (reverse("blog:post-list"), reverse("blog:about"), reverse("blog:archive")):
        forms = document(client, url).xpath("//form[@data-signup-form]")
        assert len(forms) == 1, url
        assert forms[0].xpath("ancestor::footer[@class='site-footer']"), url


def test_with_a_thread_the_form_waits_behind_join_the_discussion(client, discussed_post):
    doc = document(client, discussed_post.get_absolute_url())
    (details,) = doc.xpath("//section[@id='comments']//details[@id='join-discussion']")
    assert details.get("open") is None
    assert details.xpath("./summary")[0].text_content().strip() == "Join the discussion"
    assert details.xpath(".//form[@data-comment-form]//textarea[@name='comment']")


def test_without_comments_the_form_is_open_below_the_empty_thread(client):
    post = PostFactory()
    doc = document(client, post.get_absolute_url())
    assert not doc.xpath("//details[@id='join-discussion']")
    assert position(doc, "//ol[@data-comment-list]") < position(doc, "//form[@data-comment-form]")


def test_home_opens_with_the_newest_as_lead_story_then_a_grid(client, yesterday, now):
    older = PostFactory(title="Older piece", publish_at=yesterday)
    newest = PostFactory(title="Newest piece", publish_at=now)
    doc = document(client, reverse("blog:post-list"))
    (lead,) = doc.xpath("//section[contains(@class, 'lead')]//h2")
    assert lead.text_content().strip() == newest.title
    grid = [h.text_content().strip() for h in doc.xpath("//div[@class='post-grid']//h2")]
    assert grid == [older.title]
    assert "Featured" not in doc.xpath("//section[contains(@class, 'lead')]")[0].text_content()


def test_a_featured_post_leads_and_page_two_has_no_lead(client, yesterday, now):
    featured = PostFactory(title="The pick", publish_at=yesterday, featured=True)
    PostFactory(title="Newest piece", publish_at=now)
    doc = document(client, reverse("blog:post-list"))
    (lead,) = doc.xpath("//section[contains(@class, 'lead')]//h2")
    assert lead.text_content().strip() == featured.title
    PostFactory.create_batch(10, publish_at=yesterday)
    page_two = document(client, reverse("blog:post-list") + "?page=2")
    assert not page_two.xpath("//section[contains(@class, 'lead')]")
    assert page_two.xpath("//div[@class='post-grid']/article")
