"""One home per comment concept: the permalink, "comments on posts" and the public count."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.urls import resolve, reverse

from blog.models import Post
from comments.counts import post_stats, with_public_comment_count
from comments.models import Comment
from tests.comments.support import add_comment
from tests.factories import PostFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_comments_permalink_is_its_post_page_at_its_anchor(client):
    post = PostFactory()
    comment = add_comment(post)
    path, _, anchor = comment.get_absolute_url().partition("#")
    assert path == post.get_absolute_url()
    assert anchor == f"c{comment.pk}"
    assert resolve(path).url_name == "post-detail"
    html = client.get(path).content.decode()
    assert f'id="{anchor}"' in html


def test_the_fresh_url_is_the_permalink_with_a_query_no_cache_holds(client):
    post = PostFactory()
    comment = add_comment(post)
    assert comment.get_fresh_url() == f"{post.get_absolute_url()}?c={comment.pk}#c{comment.pk}"
    assert comment.get_fresh_url(anchor="comments").endswith(f"?c={comment.pk}#comments")
    assert client.get(comment.get_fresh_url()).status_code == 200


def test_django_comments_permalink_tag_still_gets_an_anchor():
    comment = add_comment(PostFactory())
    assert comment.get_absolute_url("#comment-%(id)s").endswith(f"#comment-{comment.pk}")


def test_a_post_already_at_hand_gives_the_permalink_without_a_query(
    django_assert_num_queries,
):
    post = PostFactory()
    comment = Comment.objects.select_related(None).get(pk=add_comment(post).pk)
    ContentType.objects.get_for_model(Post)  # warm the process-wide content type cache
    comment.show_on(post)
    with django_assert_num_queries(0):
        assert comment.get_absolute_url() == f"{post.get_absolute_url()}#c{comment.pk}"


def test_on_posts_leaves_out_comments_on_anything_else():
    on_post = add_comment(PostFactory())
    reader = UserFactory()
    add_comment(
        PostFactory(),
        content_type=ContentType.objects.get_for_model(get_user_model()),
        object_pk=str(reader.pk),
    )
    assert list(Comment.objects.on_posts()) == [on_post]


def test_listings_and_the_admin_column_count_the_same_public_comments():
    post = PostFactory()
    add_comment(post)
    add_comment(post, is_public=False)  # held for moderation
    add_comment(post, is_removed=True)  # removed by its author or a moderator
    add_comment(post, text="a reply", parent=add_comment(post))
    listed, threads = post_stats([post])[post.pk]
    annotated = with_public_comment_count(Post.objects.filter(pk=post.pk)).get()
    assert listed == annotated.public_comment_count == 3
    assert threads == 3  # the removed top-level comment stays as a thread's placeholder
    assert Comment.objects.public().on_posts().count() == listed


def test_the_admin_post_list_shows_the_public_comment_count(client):
    post = PostFactory()
    add_comment(post)
    add_comment(post, is_removed=True)
    client.force_login(StaffFactory())
    html = client.get(reverse("admin:blog_post_changelist")).content.decode()
    assert f'?post={post.pk}">1</a>' in html
