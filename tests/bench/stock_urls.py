"""Our URLs plus the benchmark's baseline: a post and its comments through xtd's stock templates.

Only `tests.bench.settings` uses this module. The baseline page shows the same post and the
same comments as our post page, rendered the way a site built on django-comments-xtd's own
templates would: `{% render_xtdcomment_tree %}` (its recursive comment_tree.html) and
`{% render_comment_form %}`, with the comment count, through the same middleware, settings and
gunicorn configuration as ours, in a gunicorn of its own: xtd's stock form links to xtd's
own URLs, mounted under bench-stock/xtd/ here, and they import Django REST framework and more,
which would otherwise count in our workers' memory.

The comments' permalinks are xtd's stock ones too (the redirect through `cr/<ct>/<pk>/`, no
query). Ours link straight to the post, which costs a query per comment unless the post is
already loaded, as it always is on our pages; xtd's stock tree does not load it, and the
baseline would otherwise pay 100 queries a stock site never makes.
"""

import contextlib

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.template import engines
from django.urls import include, path
from django.views.decorators.http import require_safe
from django_comments.abstracts import CommentAbstractModel

from blog.models import Post
from comments.models import Comment
from config.urls import urlpatterns as site_urlpatterns

PAGE = engines["django"].from_string(
    """{% load comments comments_xtd %}<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ post.title }}</title></head>
<body><main><article><h1>{{ post.title }}</h1>{{ post.body_html|safe }}</article>
{% get_comment_count for post as comment_count %}
<section><h2>{{ comment_count }} comments</h2>
{% render_xtdcomment_tree for post allow_feedback show_feedback %}
{% render_comment_form for post %}</section></main></body></html>"""
)


@contextlib.contextmanager
def stock_permalinks():
    """Comments link as on a stock site while the baseline page renders (one request at a
    time in a sync worker; the class is left as it was, even on an error)."""
    ours = Comment.__dict__["get_absolute_url"]
    Comment.get_absolute_url = CommentAbstractModel.get_absolute_url
    try:
        yield
    finally:
        Comment.get_absolute_url = ours


@require_safe
def stock_post(request, pk):
    post = get_object_or_404(Post.objects.published().select_related("author"), pk=pk)
    with stock_permalinks():
        return HttpResponse(PAGE.render({"post": post}, request))


urlpatterns = [
    path("bench-stock/<int:pk>/", stock_post),
    # xtd's own URLs, which its stock form template links to (the real site replaces them).
    path("bench-stock/xtd/", include("django_comments_xtd.urls")),
    *site_urlpatterns,
]
