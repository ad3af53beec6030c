"""Our comment URLs, included under comments/ (xtd's URL names: `comments.xtd_urls`).

`<id:...>` is `comments.converters.IdConverter`, registered in `CommentsConfig.ready()`.
"""

from django.urls import path
from django.views.decorators.http import require_safe

from comments import feeds
from comments.views import own, posting, reading

app_name = "comments"

urlpatterns = [
    path("post/", posting.post_comment, name="post"),
    path("posted/", posting.posted, name="posted"),
    path("stamp/", posting.stamp, name="stamp"),
    path("confirm/<str:key>/", posting.confirm, name="confirm"),
    path("mute/<str:key>/", reading.mute, name="mute"),
    path("reply/<id:cid>/", reading.reply, name="reply"),
    path("edit/<id:pk>/", own.edit, name="edit"),
    path("delete/<id:pk>/", own.delete, name="delete"),
    path("threads/<id:post_pk>/", reading.threads, name="threads"),
    path("feed/", require_safe(feeds.LatestCommentsFeed()), name="feed"),
    path("feed/<id:post_pk>/", require_safe(feeds.PostCommentsFeed()), name="post-feed"),
]
