"""Fast, hermetic settings for the test suite (`DATABASE_URL` still selects PostgreSQL)."""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-" + "k3y" * 20)
os.environ.setdefault("SITE_URL", "http://testserver")

from .base import *  # noqa: F403

ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Tests marked `tasks` run their tasks through a real worker on the backend TASKS_BACKEND
# selects (tests/conftest.py: `worker_tasks`); every other test runs a task at once.
WORKER_TASKS = TASKS  # noqa: F405
TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
MAILERS = {
    alias: {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    for alias in ("default", "transport", "bulk")
}
EMAIL_RETRY_BASE_SECONDS = 0
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_ROOT = VAR_DIR / "test-media"  # noqa: F405
SECURE_SSL_REDIRECT = False
LOGGING = {"version": 1, "disable_existing_loggers": False}
# Serve static files from the app folders without a collectstatic run.
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
# Test clients submit comment forms the instant they are rendered.
COMMENTS_MIN_SUBMIT_SECONDS = 0
# A site whose writer has said who sends its mail (core.identity): tests of the refusal to
# send without a sender or postal address blank these.
DEFAULT_FROM_EMAIL = SERVER_EMAIL = "The Dispatch <letters@dispatch.example>"
NEWSLETTER_POSTAL_ADDRESS = "1 Harbour Street, Portsmouth PO1 2AB, United Kingdom"
# No per-process copies of shared state (the site identity, the page cache's generation): a
# query count must not depend on how long the test before it took on a busy machine. The tests
# of those copies set their own lifetime.
PAGE_CACHE_LOCAL_SECONDS = 0
# Tests write page views with core.pageviews.flush() when they mean to, never from a thread.
PAGE_VIEWS_FLUSH_SECONDS = 0
