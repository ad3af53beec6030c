"""A web worker imports what serving pages needs, not what the admin, the task worker or an
unused template library needs (issue 12, goal 6: a worker of at most 60 MB).

Checked in a fresh interpreter that loads `config.wsgi` as gunicorn does, on SQLite, and then
compiles the templates of the public pages (which is when Django's template engine starts).
"""

import json
import subprocess
import sys

from tests.test_settings import ROOT, clean_environ

# Each is megabytes a worker does not need: Django REST framework's optional dependencies (the
# REST API of django-comments-xtd's template library pulls them in), the headline job's feed
# parser, the authenticator page's QR code maker, Pillow (uploads and demo art, on save),
# psycopg on a SQLite site, Markdown (posts and comments are rendered when saved). Then smaller
# ones that only the admin's pages or the task worker use: the readers of imported exports
# (XML through defusedxml and pyexpat), backups' tarfile, CSV downloads and imports, smtplib.
NOT_IN_A_WORKER = [
    "rest_framework.compat",
    "requests",
    "yaml",
    "pygments",
    "docutils",
    "feedparser",
    "segno",
    "PIL",
    "psycopg",
    "markdown",
    "core.transfer.views",
    "core.transfer.wordpress",
    "xml.etree",
    "defusedxml",
    "pyexpat",
    "tarfile",
    "csv",
    "smtplib",
]

LOAD_AND_RENDER = f"""
import json, sys
import config.wsgi
from django.template.loader import get_template
for name in ["blog/post_list.html", "blog/post_detail.html", "blog/archive.html",
             "blog/search.html", "blog/tag_detail.html", "newsletter/subscribe.html"]:
    get_template(name)
print(json.dumps([name for name in {NOT_IN_A_WORKER!r} if name in sys.modules]))
"""


def test_a_worker_serving_pages_leaves_heavy_modules_unimported(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", LOAD_AND_RENDER],
        cwd=ROOT,
        env=clean_environ(DEBUG="1", VAR_DIR=str(tmp_path)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
