"""The admin's pages for moving a site: in (upload an export, see what a dry run would do,
then import) and out ("Export the site").

Export: a GET shows what goes in, only a POST makes the archive. The archive holds every
subscriber's address and consent record, so only superusers may make it. It is built in an
anonymous temporary file (unlinked at once: no name on disk for anyone to read, nothing left
behind if the process dies) and streamed from there as a download named for the site and the
day.
"""

import tempfile

from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from core.transfer import appliers, export, formats
from core.transfer.document import UnreadableExport
from core.transfer.forms import SiteImportForm


@require_http_methods(["GET", "HEAD", "POST"])
def import_site(request, *, admin_site):
    form = SiteImportForm(request.POST or None, request.FILES or None)
    context = {
        **admin_site.each_context(request),
        "title": "Move in from another platform",
        "form": form,
    }
    status = 200
    if request.method == "POST":
        if form.is_valid():
            dry_run = request.POST.get("action") != "import"
            try:
                with form.saved_upload() as path:
                    document = formats.parse(form.cleaned_data["format"], path)
                    context["report"] = appliers.apply_document(document, dry_run=dry_run)
            except UnreadableExport as err:
                context["error"] = str(err)
                status = 400
        else:
            status = 400
    request.current_app = admin_site.name
    return TemplateResponse(request, "admin/import_site.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def export_site(request, *, admin_site):
    if not request.user.is_superuser:
        raise PermissionDenied("Only a superuser may export the site.")
    if request.method == "POST":
        now = timezone.now()
        archive = tempfile.TemporaryFile()
        try:
            export.write_archive(archive, now=now)
        except BaseException:
            archive.close()
            raise
        archive.seek(0)
        response = FileResponse(
            archive,
            as_attachment=True,
            filename=export.archive_filename(now),
            content_type="application/zip",
        )
        response.headers["Cache-Control"] = "no-store"
        return response
    context = {
        **admin_site.each_context(request),
        "title": "Export the site",
        "subtitle": None,
        "filename": export.archive_filename(timezone.now()),
    }
    request.current_app = admin_site.name
    return TemplateResponse(request, "admin/export_site.html", context)
