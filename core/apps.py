import datetime

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Site"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from core import periodic, staff, tasks

        user_logged_in.connect(staff.on_user_logged_in, dispatch_uid="core.staff.on_user_logged_in")

        periodic.register(
            "outbox-due", every=datetime.timedelta(minutes=1), run=tasks.enqueue_due_email
        )
        periodic.register(
            "outbox-purge", every=datetime.timedelta(hours=1), run=tasks.purge_old_email
        )
        periodic.register(
            "staff-devices-purge",
            every=datetime.timedelta(days=1),
            run=tasks.forget_expired_staff_devices,
        )
        periodic.register(
            "abandoned-tasks",
            every=datetime.timedelta(minutes=1),
            run=tasks.requeue_abandoned_tasks,
        )


class WorkspaceAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with the writer's workspace as its site (core.admin_site)."""

    default = False  # CoreConfig stays this module's default
    default_site = "core.admin_site.WorkspaceAdminSite"
