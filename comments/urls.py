"""Our comment URLs. config/urls.py includes them under comments/ just before
django_comments_xtd.urls, so `post/` and `confirm/<key>/` here answer for xtd's names too."""

from django.urls import path

from comments import feeds, views

app_name = "comments"

urlpatterns = [
    path("post/", views.post_comment, name="post"),
    path("posted/", views.posted, name="posted"),
    path("confirm/<str:key>/", views.confirm, name="confirm"),
    path("edit/<int:pk>/", views.edit, name="edit"),
    path("delete/<int:pk>/", views.delete, name="delete"),
    path("threads/<int:post_pk>/", views.threads, name="threads"),
    path("feed/", feeds.LatestCommentsFeed(), name="feed"),
    path("feed/<int:post_pk>/", feeds.PostCommentsFeed(), name="post-feed"),
]
