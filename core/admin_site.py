"""The admin as the writer's workspace: their apps on the index, the machinery under "System".

A single writer never needs login-attempt logs, task rows, sites or groups day to day. The
models named in ADMIN_SYSTEM_MODELS ("app_label.model_name", or "app_label.*") leave the
writer's sections and meet in one "System" section at the bottom of the index and the
sidebar, shown to superusers only; every one of them keeps its usual address, and
`admin:system` lists them all, with "Export the site" (core.transfer.views) among them.
"""

from fnmatch import fnmatch

from django.conf import settings
from django.contrib import admin
from django.template.response import TemplateResponse
from django.urls import path, reverse

from core.transfer import views as transfer_views

SYSTEM_LABEL = "system"


def is_system_model(app_label: str, object_name: str) -> bool:
    label = f"{app_label}.{object_name.lower()}"
    return any(fnmatch(label, pattern) for pattern in settings.ADMIN_SYSTEM_MODELS)


class WorkspaceAdminSite(admin.AdminSite):
    def get_urls(self):
        return [
            path("system/", self.admin_view(self.system_index), name="system"),
            path("export/", self.admin_view(self.export_site), name="export-site"),
            path("import-site/", self.admin_view(self.import_site), name="import-site"),
            *super().get_urls(),
        ]

    def get_app_list(self, request, app_label=None):
        apps = super().get_app_list(request, app_label)
        if app_label is not None:
            return apps
        writer_apps, system_models = [], []
        for app in apps:
            own = []
            for model in app["models"]:
                if is_system_model(app["app_label"], model["object_name"]):
                    system_models.append(model)
                else:
                    own.append(model)
            if own:
                writer_apps.append({**app, "models": own})
        if request.user.is_superuser:
            system_models.append(self.export_entry())
        if system_models and request.user.is_superuser:
            writer_apps.append(
                {
                    "name": "System",
                    "app_label": SYSTEM_LABEL,
                    "app_url": reverse(f"{self.name}:system"),
                    "has_module_perms": True,
                    "models": sorted(system_models, key=lambda model: str(model["name"])),
                }
            )
        return writer_apps

    def export_entry(self) -> dict:
        """ "Export the site" beside the models of the System section (superusers only)."""
        return {
            "name": "Export the site",
            "object_name": "ExportSite",
            "admin_url": reverse(f"{self.name}:export-site"),
            "add_url": None,
            "view_only": True,
            "perms": {"view": True},
        }

    def export_site(self, request):
        """Moving out: the whole site as one archive (core.transfer.export)."""
        return transfer_views.export_site(request, admin_site=self)

    def import_site(self, request):
        """Moving in from WordPress, Ghost or Substack (core.transfer)."""
        return transfer_views.import_site(request, admin_site=self)

    def system_index(self, request):
        """Every system model on one page, like an app's index page."""
        system = [app for app in self.get_app_list(request) if app["app_label"] == SYSTEM_LABEL]
        context = {
            **self.each_context(request),
            "title": "System",
            "subtitle": None,
            "app_list": system,
            "app_label": SYSTEM_LABEL,
        }
        request.current_app = self.name
        return TemplateResponse(request, "admin/app_index.html", context)
