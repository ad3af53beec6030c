from django.urls import path, register_converter

from blog import feeds, views
from blog.converters import TwoDigitMonthConverter

register_converter(TwoDigitMonthConverter, "mm")

app_name = "blog"
urlpatterns = [
    path("", views.PostListView.as_view(), name="post-list"),
    path("feed/", feeds.LatestPostsRssFeed(), name="feed-rss"),
    path("feed/atom/", feeds.LatestPostsAtomFeed(), name="feed-atom"),
    path("tag/<slug:slug>/", views.TagDetailView.as_view(), name="tag-detail"),
    path("tag/<slug:slug>/feed/", feeds.TagRssFeed(), name="tag-feed-rss"),
    path("tag/<slug:slug>/feed/atom/", feeds.TagAtomFeed(), name="tag-feed-atom"),
    path("archive/", views.ArchiveView.as_view(), name="archive"),
    path("about/", views.AboutView.as_view(), name="about"),
    path("search/", views.SearchView.as_view(), name="search"),
    path("preview/<str:token>/", views.SharedPreviewView.as_view(), name="post-preview"),
    path("<int:year>/<mm:month>/", views.PostMonthArchiveView.as_view(), name="archive-month"),
    path("<int:year>/<mm:month>/<slug:slug>/", views.PostDetailView.as_view(), name="post-detail"),
]
