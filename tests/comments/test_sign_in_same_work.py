"""Asking for a sign-in link costs the request the same work for every address.

Measured from outside: 7.6 ms for a staff address (refused a link) against 17–19 ms for a
reader's (the email rendered and stored), so timing told staff addresses apart. A timing test
would be flaky: this compares the work itself, the same SQL statements, the same task queued,
the same answer.
"""

import re

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from comments import tasks
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def statement_shapes(queries) -> list[str]:
    """Each SQL statement with its values taken out: what was done, not to which row."""
    return [re.sub(r"'[^']*'|\b\d+\b", "?", query["sql"]) for query in queries]


def sign_in_work(email: str, ip: str):
    with CaptureQueriesContext(connection) as queries:
        response = Client().post(reverse("accounts:sign-in"), {"email": email}, REMOTE_ADDR=ip)
    return response.status_code, response["Location"], statement_shapes(queries.captured_queries)


def test_staff_reader_and_unknown_addresses_cost_the_request_the_same_work(database_tasks):
    StaffFactory(email="author@example.org")
    UserFactory(email="reader@example.org")

    staff = sign_in_work("author@example.org", ip="203.0.113.1")
    reader = sign_in_work("reader@example.org", ip="198.51.100.1")
    unknown = sign_in_work("new@example.org", ip="192.0.2.1")

    assert staff == reader == unknown
    assert staff[0] == 302
    queued = DBTaskResult.objects.filter(task_path=tasks.send_sign_in_link.module_path)
    assert queued.count() == 3
    assert mail.outbox == []


def test_the_queued_request_mails_readers_and_never_staff(
    database_tasks, django_capture_on_commit_callbacks
):
    StaffFactory(email="author@example.org")
    for email in ("author@example.org", "reader@example.org"):
        Client().post(reverse("accounts:sign-in"), {"email": email})
    with django_capture_on_commit_callbacks(execute=True):
        for queued in DBTaskResult.objects.filter(task_path=tasks.send_sign_in_link.module_path):
            queued.task.call(*queued.task_result.args, **queued.task_result.kwargs)
    assert [message.to for message in mail.outbox] == [["reader@example.org"]]
