from django.urls import path, register_converter

from blog import feeds, views
from blog.converters import TwoDigitMonthConverter

register_converter(TwoDigitMonthConverter, "mm")

app_name = "blog"
urlpatterns = [
    path("", views.PostListView.as_view(), name="post-list"),
    path("feed/", feeds.LatestPostsRssFeed(), name="feed-rss"),
    path("feed/atom/", feeds.LatestPostsAtomFeed(), name="feed-atom"),
    path("<int:year>/<mm:month>/<slug:slug>/", views.PostDetailView.as_view(), name="post-detail"),
]
