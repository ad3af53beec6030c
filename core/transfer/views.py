"""The admin's import page: upload an export, see what a dry run would do, then import."""

from django.template.response import TemplateResponse
from django.views.decorators.http import require_http_methods

from core.transfer import appliers, formats
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
