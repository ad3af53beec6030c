from django.conf import settings
from django.contrib import admin
from django.urls import include, path

admin.site.site_header = f"{settings.SITE_NAME} — writing desk"
admin.site.site_title = settings.SITE_NAME
admin.site.index_title = "Write, schedule and moderate"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("blog.urls")),
]
