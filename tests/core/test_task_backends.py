"""One environment variable picks where tasks wait: the database (default) or RQ on Redis.

The tests marked `tasks` run on the backend TASKS_BACKEND selects: the database in `make
test`, RQ in the step of .ci/run that sets `TASKS_BACKEND=rq` (tests/tasks_support.py).
"""

import datetime
import io
import threading
import time

import pytest
from django.core import mail
from django.core.management import call_command
from django.tasks import TaskResultStatus
from django.utils import timezone

from config import env
from core import periodic
from core.models import OutgoingEmail
from core.tasks import deliver_outgoing_email
from tests.test_settings import run_manage

REDIS = "redis://127.0.0.1:6379/3"  # never connected to


def test_the_database_backend_is_the_default_and_needs_no_redis():
    name, tasks, queues = env.tasks_config(environ={}, lease_seconds=900)
    assert name == "database"
    assert tasks == {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    assert queues is None


def test_rq_puts_the_tasks_on_redis_url_with_the_task_lease_as_job_timeout():
    name, tasks, queues = env.tasks_config(
        environ={"TASKS_BACKEND": " RQ ", "REDIS_URL": REDIS}, lease_seconds=600
    )
    assert name == "rq"
    assert tasks == {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    assert queues == {"default": {"URL": REDIS, "DEFAULT_TIMEOUT": 600}}


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"TASKS_BACKEND": "rq"}, "TASKS_BACKEND=rq needs REDIS_URL"),
        ({"TASKS_BACKEND": "rq", "REDIS_URL": " "}, "TASKS_BACKEND=rq needs REDIS_URL"),
        ({"TASKS_BACKEND": "celery"}, "TASKS_BACKEND must be database or rq; got 'celery'."),
    ],
)
def test_a_bad_tasks_backend_is_refused_in_one_line(environ, message):
    with pytest.raises(env.ImproperlyConfigured, match=message):
        env.tasks_config(environ=environ, lease_seconds=900)


def test_manage_py_refuses_rq_without_redis_before_doing_anything():
    result = run_manage("check", TASKS_BACKEND="rq", REDIS_URL="")
    assert result.returncode == 2
    assert result.stderr.startswith("Refusing to start: TASKS_BACKEND=rq needs REDIS_URL")
    assert len(result.stderr.strip().splitlines()) == 1


def test_rq_settings_install_django_rq_and_pass_the_checks(tmp_path):
    """django-tasks-rq's own check wants django_rq installed and its queue configured."""
    result = run_manage(
        "check", "--fail-level", "WARNING", TASKS_BACKEND="rq", REDIS_URL=REDIS, VAR_DIR=tmp_path
    )
    assert result.returncode == 0, result.stderr
    plain = run_manage("shell", "-c", "from django.conf import settings as s; print(s.TASKS)")
    assert "django_tasks_db.DatabaseBackend" in plain.stdout, plain.stderr


# Through a real worker, on the backend under test -----------------------------------------


def send_hello():
    mail.EmailMessage(
        subject="Confirm your address — “The Dispatch”",
        body="Plain text: Zoë’s note…",
        from_email="The Dispatch <news@example.org>",
        to=["reader@example.org"],
    ).send()


@pytest.mark.tasks
@pytest.mark.django_db(transaction=True)
def test_queued_mail_is_delivered_by_the_worker_to_the_mail_server(worker_tasks, smtp_server):
    send_hello()
    assert OutgoingEmail.objects.get().status == OutgoingEmail.Status.PENDING
    assert smtp_server.messages == []

    worker_tasks.run()

    assert OutgoingEmail.objects.get().status == OutgoingEmail.Status.SENT
    assert [message["To"] for message in smtp_server.messages] == ["reader@example.org"]
    assert smtp_server.messages[0]["Subject"] == "Confirm your address — “The Dispatch”"


@pytest.mark.tasks
@pytest.mark.django_db(transaction=True)
def test_a_task_result_says_how_the_task_ended(worker_tasks, smtp_server):
    gone = deliver_outgoing_email.enqueue(999_999)
    broken = deliver_outgoing_email.enqueue("not a number")
    assert gone.status == TaskResultStatus.READY

    worker_tasks.run()

    gone.refresh()
    assert (gone.status, gone.return_value) == (TaskResultStatus.SUCCESSFUL, "skipped")
    assert deliver_outgoing_email.get_result(broken.id).status == TaskResultStatus.FAILED
    broken.refresh()
    assert broken.errors[0].exception_class is ValueError


@pytest.mark.tasks
@pytest.mark.django_db(transaction=True)
def test_a_deferred_task_waits_for_its_time(worker_tasks):
    run_after = timezone.now() + datetime.timedelta(seconds=1.5)
    later = deliver_outgoing_email.using(run_after=run_after).enqueue(999_999)

    worker_tasks.run()
    later.refresh()
    assert later.status == TaskResultStatus.READY

    time.sleep(max((run_after - timezone.now()).total_seconds(), 0) + 0.2)
    worker_tasks.run()
    later.refresh()
    assert later.status == TaskResultStatus.SUCCESSFUL


@pytest.mark.tasks
@pytest.mark.django_db(transaction=True)
def test_run_worker_runs_the_queued_tasks_on_the_configured_backend(
    worker_tasks, smtp_server, monkeypatch
):
    monkeypatch.setattr(periodic, "_jobs", {})
    send_hello()
    call_command("run_worker", "--batch", "--no-startup-delay", stdout=io.StringIO())
    assert OutgoingEmail.objects.get().status == OutgoingEmail.Status.SENT
    assert len(smtp_server.messages) == 1


@pytest.fixture
def shared_cache(settings):
    """The cache every worker of a deployment shares: Redis on RQ (REDIS_URL), the database
    cache otherwise. Its keys carry a prefix of their own and are deleted afterwards."""
    from django.core.cache import caches

    prefix = f"test-periodic-{time.monotonic_ns()}"
    settings.CACHES = {
        "default": env.cache_config(
            settings.RQ_QUEUES["default"]["URL"] if settings.TASKS_BACKEND == "rq" else None,
            fallback={
                "BACKEND": "django.core.cache.backends.db.DatabaseCache",
                "LOCATION": "test_periodic_cache",
            },
        )
        | {"KEY_PREFIX": prefix}
    }
    if settings.TASKS_BACKEND != "rq":
        from django.db import connection

        if connection.vendor == "sqlite":
            pytest.skip(
                "SQLite's in-memory test database locks whole tables between threads; the "
                "database cache's claims race on PostgreSQL (DATABASE_URL), Redis's under RQ."
            )
        call_command("createcachetable", stdout=io.StringIO())
    yield caches["default"]
    if settings.TASKS_BACKEND == "rq":
        client = caches["default"]._cache.get_client(write=True)
        keys = list(client.scan_iter(match=f"{prefix}:*"))
        if keys:
            client.delete(*keys)


@pytest.mark.tasks
@pytest.mark.django_db(transaction=True)
def test_each_periodic_job_runs_once_per_period_however_many_workers_tick_at_once(
    shared_cache, monkeypatch, now
):
    monkeypatch.setattr(periodic, "_jobs", {})
    runs, lock = [], threading.Lock()

    def job(name):
        def run(*, now):
            with lock:
                runs.append(name)

        return run

    for name in ("editions", "headlines", "purge"):
        periodic.register(name, every=datetime.timedelta(minutes=1), run=job(name))
    workers = 6
    start = threading.Barrier(workers)
    errors = []

    def tick():
        from django.db import connection

        try:
            start.wait(timeout=10)
            periodic.run_due(now=now)
        except Exception as error:  # reported below, with the thread's own error
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=tick) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert sorted(runs) == ["editions", "headlines", "purge"]
    periodic.run_due(now=now + datetime.timedelta(minutes=1))
    assert sorted(runs) == ["editions", "editions", "headlines", "headlines", "purge", "purge"]


def test_the_rq_worker_waits_out_an_outage_logs_it_once_then_works_again(monkeypatch, caplog):
    """RQ's loop quits on a Redis error outside its wait for jobs; run() starts a new worker
    once Redis and the database answer, and stops for good when asked to (SIGTERM)."""
    from redis.exceptions import ConnectionError as RedisConnectionError

    from core import rq_worker

    built = []

    class Worker:
        _shutdown_requested_date = None

        def work(self, **options):
            if len(built) == 1:
                raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379.")
            self._shutdown_requested_date = timezone.now()  # then SIGTERM

    def build_worker(queue_names, *, name=None):
        built.append(Worker())
        return built[-1]

    answers = iter([False, False, True])
    monkeypatch.setattr(rq_worker, "build_worker", build_worker)
    monkeypatch.setattr(rq_worker, "_services_answer", lambda worker: next(answers))
    waits = []

    with caplog.at_level("WARNING", logger="core.worker"):
        rq_worker.run(["default"], sleep=waits.append)

    assert len(built) == 2
    assert waits == [1.0, 2.0, 4.0]
    messages = [r.getMessage() for r in caplog.records if r.name == "core.worker"]
    assert len(messages) == 2
    assert messages[0].startswith("Task worker lost Redis or its database (ConnectionError")
    assert messages[1].startswith("Task worker back after")
