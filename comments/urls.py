"""Our comment URLs, included under comments/ just before django_comments_xtd.urls.

`post/`, `confirm/<key>/` and `reply/<id>/` come first, so they answer for xtd's URL names too.
"""

from django.urls import path

from comments import feeds, views

app_name = "comments"

urlpatterns = [
    path("post/", views.post_comment, name="post"),
    path("posted/", views.posted, name="posted"),
    path("confirm/<str:key>/", views.confirm, name="confirm"),
    path("mute/<str:key>/", views.mute, name="mute"),
    path("reply/<int:cid>/", views.reply, name="reply"),
    path("edit/<int:pk>/", views.edit, name="edit"),
    path("delete/<int:pk>/", views.delete, name="delete"),
    path("threads/<int:post_pk>/", views.threads, name="threads"),
    path("feed/", feeds.LatestCommentsFeed(), name="feed"),
    path("feed/<int:post_pk>/", feeds.PostCommentsFeed(), name="post-feed"),
]
