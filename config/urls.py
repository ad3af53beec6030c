from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.utils.functional import lazy
from django.views.generic import TemplateView

from blog.sitemaps import SITEMAPS as BLOG_SITEMAPS
from core import health, identity, views
from core.sitemaps import sitemap
from newsletter.sitemaps import SITEMAPS as NEWSLETTER_SITEMAPS

# The name the writer gives the site in the admin (core.identity), read on every page.
admin.site.site_header = lazy(lambda: f"{identity.current().site_name} — writing desk", str)()
admin.site.site_title = lazy(lambda: identity.current().site_name, str)()
admin.site.index_title = "Write, schedule and moderate"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    # New-device verification and authenticator pages, before the admin's own catch-all.
    path("admin/", include("core.urls")),
    path("admin/", admin.site.urls),
    path(
        "sitemap.xml",
        sitemap,
        {"sitemaps": BLOG_SITEMAPS | NEWSLETTER_SITEMAPS},
        name="sitemap",
    ),
    path("favicon.ico", views.favicon, name="favicon"),
    path(
        "robots.txt",
        TemplateView.as_view(template_name="robots.txt", content_type="text/plain"),
        name="robots-txt",
    ),
    path("account/", include("comments.accounts_urls")),
    path("newsletter/", include("newsletter.urls")),
    path("comments/", include("comments.urls")),
    # Only the xtd URL names our pages and xtd's rendering use, bound to our views: never
    # `django_comments_xtd.urls` (its REST API and moderation views skip our checks).
    path("comments/", include("comments.xtd_urls")),
    path("", include("blog.urls")),
]

if settings.SERVE_MEDIA:
    urlpatterns.insert(
        0,
        re_path(
            rf"^{settings.MEDIA_URL.strip('/')}/(?P<path>.+)$",
            views.serve_media,
            name="media",
        ),
    )

handler500 = "core.views.server_error"
