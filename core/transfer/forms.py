import contextlib
import tempfile
from pathlib import Path

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat

from core.transfer import formats

UPLOAD_SUFFIXES = {".xml", ".json", ".csv", ".zip"}


class SiteImportForm(forms.Form):
    format = forms.ChoiceField(label="Export from", choices=formats.CHOICES)
    export = forms.FileField(
        label="Export file",
        help_text="WordPress: the .xml file, or a .zip of it with the wp-content/uploads folder "
        "(images are copied only from the zip). Ghost: the .json export, the members .csv, or a "
        "zip of both with content/images. Substack: the export .zip as downloaded.",
    )

    def clean_export(self):
        upload = self.cleaned_data["export"]
        limit = settings.SITE_IMPORT_MAX_UPLOAD_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"This file is {filesizeformat(upload.size)}; the import page takes at most "
                f"{filesizeformat(limit)}. Run `manage.py import_site` on the server instead."
            )
        if Path(upload.name or "").suffix.lower() not in UPLOAD_SUFFIXES:
            raise forms.ValidationError("Upload a .xml, .json, .csv or .zip file.")
        return upload

    @contextlib.contextmanager
    def saved_upload(self):
        """The upload as a file on disk under a name of ours (only its extension is kept),
        for as long as the import reads it."""
        upload = self.cleaned_data["export"]
        suffix = Path(upload.name).suffix.lower()
        with tempfile.TemporaryDirectory(prefix="site-import-") as folder:
            path = Path(folder) / f"export{suffix}"
            with path.open("wb") as handle:
                for chunk in upload.chunks():
                    handle.write(chunk)
            yield path
