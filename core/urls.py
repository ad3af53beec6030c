"""Staff sign-in security pages, mounted under the admin's prefix by config.urls."""

from django.contrib import admin
from django.urls import path

from core import views

app_name = "staff"

urlpatterns = [
    path("verify/", admin.site.admin_view(views.staff_verify), name="verify"),
    path(
        "authenticator/",
        admin.site.admin_view(views.staff_authenticator),
        name="authenticator",
    ),
]
