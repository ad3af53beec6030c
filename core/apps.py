import datetime

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Site"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_delete, post_migrate, post_save

        from core import identity, periodic, staff, tasks
        from core.models import SiteIdentity

        user_logged_in.connect(staff.on_user_logged_in, dispatch_uid="core.staff.on_user_logged_in")
        post_migrate.connect(
            tasks.refresh_query_statistics_after_migrate,
            sender=self,
            dispatch_uid="core.refresh_query_statistics",
        )
        post_save.connect(identity.forget, sender=SiteIdentity, dispatch_uid="core.identity.save")
        post_delete.connect(
            identity.forget, sender=SiteIdentity, dispatch_uid="core.identity.delete"
        )
        identity.register_checklist_items()

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
        periodic.register(
            "query-statistics", every=datetime.timedelta(days=1), run=tasks.refresh_query_statistics
        )


class WorkspaceAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with the writer's workspace as its site (core.admin_site)."""

    default = False  # CoreConfig stays this module's default
    default_site = "core.admin_site.WorkspaceAdminSite"
