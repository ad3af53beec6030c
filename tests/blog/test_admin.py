import pytest
from django.urls import reverse
from django.utils import timezone

from blog.models import Post
from tests.factories import PostFactory

pytestmark = pytest.mark.django_db


def inline_management_forms():
    """The empty management forms of the post page's inlines (images, sources, corrections and,
    on a renamed post, its old addresses)."""
    data = {}
    for prefix in ("images", "sources", "corrections", "old_slugs"):
        data |= {f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0}
    return data


def post_form(author, **overrides):
    data = {
        "title": "Russia’s puppet ally",
        "slug": "russias-puppet-ally",
        "kind": "oped",
        "standfirst": "Belarus prepares — again.",
        "body": "First paragraph.\nSecond “paragraph”.",
        "status": "published",
        "publish_at_0": "",
        "publish_at_1": "",
        "author": author.pk,
        **inline_management_forms(),
    }
    data.update(overrides)
    return data


def test_author_creates_and_publishes_a_post_from_the_admin(author_client):
    response = author_client.post(
        reverse("admin:blog_post_add"), post_form(author_client.author), follow=True
    )
    assert response.status_code == 200
    post = Post.objects.get(slug="russias-puppet-ally")
    assert post.is_published
    page = author_client.get(post.get_absolute_url())
    assert "Second “paragraph”." in page.content.decode()


def test_author_schedules_a_post_and_visitors_do_not_see_it_yet(author_client, client, tomorrow):
    when = timezone.localtime(tomorrow)
    author_client.post(
        reverse("admin:blog_post_add"),
        post_form(
            author_client.author,
            publish_at_0=when.strftime("%Y-%m-%d"),
            publish_at_1=when.strftime("%H:%M:%S"),
        ),
    )
    post = Post.objects.get(slug="russias-puppet-ally")
    assert post.is_scheduled
    author_client.logout()
    assert client.get(post.get_absolute_url()).status_code == 404


def test_author_sees_drafts_and_scheduled_posts_in_the_admin_list(author_client):
    PostFactory(title="A quiet draft", draft=True)
    PostFactory(title="Coming soon", scheduled=True)
    html = author_client.get(reverse("admin:blog_post_changelist")).content.decode()
    assert "A quiet draft" in html and "Draft" in html
    assert "Coming soon" in html and "Scheduled" in html


@pytest.mark.parametrize("state", ["draft", "scheduled", "published"])
def test_admin_state_filter(author_client, state):
    PostFactory(title="Draft one", draft=True)
    PostFactory(title="Scheduled one", scheduled=True)
    PostFactory(title="Published one")
    response = author_client.get(reverse("admin:blog_post_changelist"), {"state": state})
    titles = [post.title for post in response.context["cl"].result_list]
    assert titles == [f"{state.capitalize()} one"]


def test_publish_and_unpublish_actions(author_client):
    draft = PostFactory(draft=True)
    url = reverse("admin:blog_post_changelist")
    author_client.post(url, {"action": "publish_now", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.is_published
    author_client.post(url, {"action": "unpublish", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.status == Post.Status.DRAFT


def test_duplicate_slug_is_a_form_error_not_a_crash(author_client):
    PostFactory(slug="russias-puppet-ally")
    response = author_client.post(reverse("admin:blog_post_add"), post_form(author_client.author))
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert Post.objects.filter(slug="russias-puppet-ally").count() == 1


def test_visitors_cannot_reach_the_admin(client):
    response = client.get(reverse("admin:blog_post_changelist"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]
