"""Staff sign-in security pages, mounted under the admin's prefix by config.urls."""

from django.contrib import admin
from django.urls import path

from core import staff_views as views

app_name = "staff"

# Reachable while a sign-in waits for its code (StaffVerificationMiddleware lets them through).
VERIFICATION_URL_NAMES = ["verify", "send-code", "use-recovery-code"]

urlpatterns = [
    path("verify/", admin.site.admin_view(views.verify), name="verify"),
    path("verify/send-code/", admin.site.admin_view(views.send_code), name="send-code"),
    path(
        "verify/recovery-code/",
        admin.site.admin_view(views.use_recovery_code),
        name="use-recovery-code",
    ),
    path("authenticator/", admin.site.admin_view(views.authenticator), name="authenticator"),
    path(
        "authenticator/start/",
        admin.site.admin_view(views.authenticator_start),
        name="authenticator-start",
    ),
    path(
        "authenticator/confirm/",
        admin.site.admin_view(views.authenticator_confirm),
        name="authenticator-confirm",
    ),
    path(
        "authenticator/recovery-codes/",
        admin.site.admin_view(views.authenticator_recovery_codes),
        name="authenticator-recovery-codes",
    ),
    path(
        "authenticator/remove/",
        admin.site.admin_view(views.authenticator_remove),
        name="authenticator-remove",
    ),
]
