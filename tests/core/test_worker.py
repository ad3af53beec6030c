import logging

import pytest
from django.db import OperationalError
from django_tasks_db.models import DBTaskResult, DBTaskResultQuerySet
from redis.exceptions import ConnectionError as RedisConnectionError

from blog.tasks import make_image_renditions
from core.worker import ResilientWorker

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def worker(**overrides):
    options = {
        "queue_names": ["default"],
        "excluded_queue_names": [],
        "interval": 0,
        "batch": True,
        "backend_name": "default",
        "startup_delay": False,
        "max_tasks": None,
        "worker_id": "test-worker",
    }
    return ResilientWorker(**(options | overrides))


def failing(times: int, error: Exception, original):
    calls = {"n": 0}

    def maybe_fail(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] <= times:
            raise error
        return original(self, *args, **kwargs)

    return maybe_fail


@pytest.mark.parametrize(
    "error",
    [OperationalError("server closed the connection unexpectedly"), RedisConnectionError("down")],
)
def test_the_worker_waits_out_an_outage_logs_it_once_and_then_runs_the_queued_task(
    database_tasks, monkeypatch, caplog, error
):
    result = make_image_renditions.enqueue(999_999)
    monkeypatch.setattr(
        DBTaskResultQuerySet, "ready", failing(1, error, DBTaskResultQuerySet.ready)
    )
    answers = iter([False, False, True])
    monkeypatch.setattr(ResilientWorker, "_services_answer", staticmethod(lambda: next(answers)))
    waits = []
    task_worker = worker()
    task_worker.sleep = waits.append

    with caplog.at_level(logging.WARNING, logger="core.worker"):
        task_worker.run()

    assert waits == [1.0, 2.0, 4.0]
    messages = [r.getMessage() for r in caplog.records if r.name == "core.worker"]
    assert len(messages) == 2
    assert messages[0].startswith("Task worker lost its database or cache")
    assert messages[1].startswith("Task worker back after")
    assert DBTaskResult.objects.get(pk=result.id).status == "SUCCESSFUL"


def test_backoff_is_capped(database_tasks, monkeypatch):
    monkeypatch.setattr(
        DBTaskResultQuerySet,
        "ready",
        failing(1, OperationalError("gone"), DBTaskResultQuerySet.ready),
    )
    answers = iter([False] * 7 + [True])
    monkeypatch.setattr(ResilientWorker, "_services_answer", staticmethod(lambda: next(answers)))
    waits = []
    task_worker = worker()
    task_worker.sleep = waits.append
    task_worker.run()
    assert waits == [1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]


def test_a_programming_error_is_not_mistaken_for_an_outage(database_tasks, monkeypatch):
    monkeypatch.setattr(
        DBTaskResultQuerySet, "ready", failing(1, KeyError("bug"), DBTaskResultQuerySet.ready)
    )
    with pytest.raises(KeyError):
        worker().run()
