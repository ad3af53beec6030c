"""The django-comments-xtd and django-contrib-comments URL names our pages and xtd use.

Included under comments/ instead of `django_comments_xtd.urls`, which also installs xtd's
REST API (posting with none of our checks, and commenters' Gravatar hashes), the moderation
views of django-comments (delete, approve) and format-suffixed copies of every route. Only
what our pages and emails link to is here, each name bound to our view: xtd's code reverses
these names when it renders (`comments-xtd-reply` in `XtdComment.get_reply_url`, the flag
and feedback names in its template tags), so they must keep resolving. Every other xtd or
django-comments path answers 404.
"""

from django.urls import path

from comments.views import feedback, posting, reading

urlpatterns = [
    path("post/", posting.post_comment, name="comments-post-comment"),
    path("confirm/<str:key>/", posting.confirm, name="comments-xtd-confirm"),
    path("mute/<str:key>/", reading.mute, name="comments-xtd-mute"),
    path("reply/<id:cid>/", reading.reply, name="comments-xtd-reply"),
    path("like/<id:comment_id>/", feedback.like, name="comments-xtd-like"),
    path("liked/", feedback.like_done, name="comments-xtd-like-done"),
    path("dislike/<id:comment_id>/", feedback.dislike, name="comments-xtd-dislike"),
    path("disliked/", feedback.dislike_done, name="comments-xtd-dislike-done"),
    path("flag/<id:comment_id>/", feedback.flag, name="comments-flag"),
    path("flagged/", feedback.flag_done, name="comments-flag-done"),
    path(
        "cr/<id:content_type_id>/<str:object_pk>/",
        feedback.permalink,
        name="comments-url-redirect",
    ),
]
