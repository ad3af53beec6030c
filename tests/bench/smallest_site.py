"""The memory floor of the stack: the smallest Django site on the same database and cache.

Served by gunicorn with config/gunicorn.conf.py like the site
(`gunicorn -c config/gunicorn.conf.py tests.bench.smallest_site:application`), in the
environment of a benchmark site: Django with two contrib apps (contenttypes, auth), one view
that makes one query and one cache read, on the site's DATABASE_URL (or its SQLite file) and
its REDIS_URL (or the database cache), through the same configuration helpers (config.env).
None of our apps, templates or middleware: what a gunicorn worker weighs before any of our
code is loaded, beside the do-nothing WSGI app, which is the same without Django.
"""

import os
from pathlib import Path

import django
from django.conf import settings
from django.http import HttpResponse
from django.urls import path

from config import env


def one_query_and_one_cache_read(request):
    from django.contrib.auth.models import User
    from django.core.cache import cache

    cache.get("smallest-site")
    return HttpResponse(f"{User.objects.count()} users", content_type="text/plain")


urlpatterns = [path("", one_query_and_one_cache_read)]

settings.configure(
    DEBUG=False,
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    SECRET_KEY=os.environ["SECRET_KEY"],
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth"],
    DATABASES={
        "default": env.database_config(
            os.environ.get("DATABASE_URL"),
            sqlite_path=Path(os.environ["VAR_DIR"]) / "db.sqlite3",
        )
    },
    CACHES={"default": env.cache_config(os.environ.get("REDIS_URL"))},
    DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
)
django.setup()

from django.core.wsgi import get_wsgi_application  # noqa: E402 (after settings)

application = get_wsgi_application()
