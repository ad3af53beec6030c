import datetime

import pytest
from django.core.cache import cache
from django.utils import timezone


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty page cache, so no response leaks between tests: the
    shared cache and this process's own copies (core.pagecache.serve_cached_pages, the site
    identity), and no page view counted by an earlier test."""
    from core import identity, pagecache, pageviews

    def forget():
        cache.clear()
        pageviews.discard()
        pagecache._local_pages.clear()
        pagecache._forget_local_state()
        identity.forget_local_copy()

    forget()
    yield
    forget()


@pytest.fixture
def now() -> datetime.datetime:
    """One moment for the whole test, so "before" and "after" never straddle a clock tick."""
    return timezone.now()


@pytest.fixture
def yesterday(now) -> datetime.datetime:
    return now - datetime.timedelta(days=1)


@pytest.fixture
def tomorrow(now) -> datetime.datetime:
    return now + datetime.timedelta(days=1)


@pytest.fixture
def smtp_server(settings):
    """A running SMTP server; `default` mail is queued and delivered to it by the task."""
    from tests.smtp import SMTPSink

    sink = SMTPSink()
    sink.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "core.mail.QueuedEmailBackend",
            "OPTIONS": {"deliver_using": "transport"},
        },
        "transport": sink.mailer(),
        "bulk": sink.mailer(),
    }
    yield sink
    sink.stop()


@pytest.fixture
def author_client(client):
    """The test client signed in as the writer (a staff user named "author"), who is
    `author_client.author`."""
    from tests.factories import StaffFactory

    author = StaffFactory(username="author", email="author@example.org")
    client.force_login(author)
    client.author = author
    return client


@pytest.fixture
def worker_tasks(settings):
    """Tasks go to the backend TASKS_BACKEND selects; `.run()` works through them (see
    tests/tasks_support.py). Use with `@pytest.mark.tasks` and `django_db(transaction=True)`."""
    from tests.tasks_support import WorkerTasks

    tasks = WorkerTasks(settings)
    yield tasks
    tasks.clean()


@pytest.fixture
def wsgi_site(settings):
    """(Django, the site as gunicorn runs it): the page cache's wrapper around a Django that
    counts its calls; each process keeps its pages for a minute."""
    from core import pagecache
    from tests.wsgi_support import Recorder

    settings.PAGE_CACHE_LOCAL_SECONDS = 60
    django = Recorder()
    return django, pagecache.serve_cached_pages(django)
