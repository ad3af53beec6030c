"""The admin as the writer's workspace: their apps on the index, the machinery under "System".

A single writer never needs login-attempt logs, task rows, sites or groups day to day. The
models named in ADMIN_SYSTEM_MODELS ("app_label.model_name", or "app_label.*") leave the
writer's sections and meet in one "System" section at the bottom of the index and the
sidebar, shown to superusers only; every one of them keeps its usual address, and
`admin:system` lists them all, with "Export the site" (core.transfer.views) among them.

The index is also the writer's dashboard (core.dashboard): the figures the apps registered,
each object's figures on a page of its own, and every figure as CSV.
"""

from fnmatch import fnmatch

from django.conf import settings
from django.contrib import admin
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.views.decorators.http import require_GET

from core import dashboard

SYSTEM_LABEL = "system"


def is_system_model(app_label: str, object_name: str) -> bool:
    label = f"{app_label}.{object_name.lower()}"
    return any(fnmatch(label, pattern) for pattern in settings.ADMIN_SYSTEM_MODELS)


class WorkspaceAdminSite(admin.AdminSite):
    def get_urls(self):
        return [
            path("system/", self.admin_view(self.system_index), name="system"),
            path(
                "dashboard/<slug:scope>/<int:pk>/",
                self.admin_view(require_GET(self.dashboard_subject)),
                name="dashboard-subject",
            ),
            path(
                "dashboard/<slug:scope>/<slug:key>.csv",
                self.admin_view(require_GET(self.dashboard_csv)),
                name="dashboard-csv",
            ),
            path(
                "dashboard/<slug:scope>/<int:pk>/<slug:key>.csv",
                self.admin_view(require_GET(self.dashboard_csv)),
                name="dashboard-subject-csv",
            ),
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
        # Imported on use, like import_site: the readers of every export format (XML through
        # defusedxml and pyexpat among them, 0.7 MB) are what a web worker serving pages
        # never needs.
        from core.transfer import views as transfer_views

        return transfer_views.export_site(request, admin_site=self)

    def import_site(self, request):
        """Moving in from WordPress, Ghost or Substack (core.transfer)."""
        from core.transfer import views as transfer_views

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

    def dashboard_subject(self, request, scope, pk):
        """The figures about one object (a post, an edition): `admin:dashboard-subject`."""
        subject = dashboard.subject(scope)
        name = subject.name(pk) if subject is not None else None
        if name is None:
            raise Http404("Nothing to show figures of.")
        context = {
            **self.each_context(request),
            "title": f"Figures: {name}",
            "subtitle": None,
            "scope": scope,
            "subject": pk,
            "subject_name": name,
            "subject_url": subject.admin_url(pk),
            "noun": subject.noun,
        }
        request.current_app = self.name
        return TemplateResponse(request, "admin/dashboard/subject.html", context)

    def dashboard_csv(self, request, scope, key, pk=None):
        """One figure's table as a CSV file: every number on the dashboard can leave as data."""
        figure = dashboard.figure(scope, key)
        if figure is None or (scope == dashboard.SITE) != (pk is None):
            raise Http404("No such figure.")
        if pk is not None:
            subject = dashboard.subject(scope)
            if subject is None or subject.name(pk) is None:
                raise Http404("Nothing to show figures of.")
        days = dashboard.period(request.GET.get("days"))
        table = dashboard.table(figure, days=days, subject_pk=pk)
        response = HttpResponse(
            dashboard.csv_text(table).encode("utf-8-sig"), content_type="text/csv; charset=utf-8"
        )
        filename = dashboard.csv_filename(figure, days=days, subject_pk=pk)
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
        response.headers["Cache-Control"] = "private, no-store"
        return response
