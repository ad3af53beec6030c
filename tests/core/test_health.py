import json

import pytest
from django.db import OperationalError
from django.urls import reverse

from core import health

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert json.loads(response.content) == {"status": "alive"}
    assert "no-store" in response["Cache-Control"]


def test_readyz_checks_database_cache_and_queue(client):
    response = client.get(reverse("readyz"))
    assert response.status_code == 200
    assert json.loads(response.content) == {
        "status": "ready",
        "checks": {"database": "ok", "cache": "ok", "queue": "ok"},
    }
    assert "no-store" in response["Cache-Control"]


def test_readyz_names_what_is_down_without_the_error(client, monkeypatch):
    def down():
        raise OperationalError("connection to server at 10.0.0.5 refused: password for x")

    monkeypatch.setitem(health.CHECKS, "database", down)
    response = client.get(reverse("readyz"))
    assert response.status_code == 503
    body = json.loads(response.content)
    assert body["checks"]["database"] == "unavailable"
    assert body["checks"]["cache"] == "ok"
    assert b"10.0.0.5" not in response.content


def test_readyz_finds_the_database_task_table(settings, monkeypatch):
    """With the database backend (production's default), the queue check reads its table."""

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    monkeypatch.setattr(
        "django_tasks_db.models.DBTaskResult.objects", BrokenManager(), raising=False
    )
    with pytest.raises(OperationalError):
        health._queue()


class BrokenManager:
    def order_by(self, *args):
        raise OperationalError("no such table: django_tasks_database_dbtaskresult")


@pytest.mark.parametrize("name", ["healthz", "readyz"])
def test_probes_refuse_writes(client, name):
    assert client.post(reverse(name)).status_code == 405


def test_readyz_pings_the_redis_of_rq(settings):
    """With TASKS_BACKEND=rq the queue check asks RQ's Redis; here one that is not there."""
    from redis.exceptions import ConnectionError as RedisConnectionError

    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    settings.RQ_QUEUES = {"default": {"URL": "redis://127.0.0.1:1/0"}}
    with pytest.raises(RedisConnectionError):
        health._queue()


@pytest.mark.tasks
@pytest.mark.django_db(transaction=True)
def test_readyz_reaches_the_queue_of_the_configured_backend(worker_tasks, client):
    response = client.get(reverse("readyz"))
    assert response.status_code == 200
    assert json.loads(response.content)["checks"]["queue"] == "ok"
