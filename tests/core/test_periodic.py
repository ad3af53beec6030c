import datetime
import threading

import pytest
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from blog.tasks import make_image_renditions
from core import periodic
from core.tasks import requeue_abandoned_tasks
from tests.core.test_worker import worker


@pytest.fixture
def jobs(monkeypatch):
    """An empty job registry for the test; the apps' own jobs come back afterwards."""
    monkeypatch.setattr(periodic, "_jobs", {})
    return periodic


def test_a_job_runs_once_per_period_however_many_workers_ask(jobs, now):
    calls = []
    jobs.register(
        "count", every=datetime.timedelta(minutes=1), run=lambda *, now: calls.append(now)
    )
    first_worker, second_worker = jobs.run_due(now=now), jobs.run_due(now=now)
    assert (first_worker, second_worker) == (["count"], [])
    later = now + datetime.timedelta(minutes=1)
    assert jobs.run_due(now=later) == ["count"]
    assert calls == [now, later]


def test_a_failing_job_does_not_stop_the_others(jobs, now, caplog):
    ran = []

    def broken(*, now):
        raise RuntimeError("feed unreachable")

    jobs.register("broken", every=datetime.timedelta(minutes=1), run=broken)
    jobs.register("fine", every=datetime.timedelta(minutes=1), run=lambda *, now: ran.append(now))
    assert jobs.run_due(now=now) == ["broken", "fine"]
    assert ran == [now]
    assert "Periodic job broken failed" in caplog.text


def test_the_runner_thread_runs_due_jobs_until_stopped(jobs, now):
    ran = threading.Event()
    jobs.register("signal", every=datetime.timedelta(minutes=1), run=lambda *, now: ran.set())
    runner = jobs.PeriodicRunner(clock=lambda: now, tick=0.01)
    runner.start()
    assert ran.wait(timeout=10)
    runner.stop()
    runner.join(timeout=10)
    assert not runner.is_alive()


@pytest.mark.django_db(transaction=True)
def test_a_task_left_running_by_a_killed_worker_runs_again_after_its_lease(settings, now):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.TASKS_LEASE_SECONDS = 900
    abandoned = make_image_renditions.enqueue(999_999)
    recent = make_image_renditions.enqueue(999_998)
    DBTaskResult.objects.filter(pk=abandoned.id).update(
        status=TaskResultStatus.RUNNING, started_at=now - datetime.timedelta(minutes=16)
    )
    DBTaskResult.objects.filter(pk=recent.id).update(
        status=TaskResultStatus.RUNNING, started_at=now - datetime.timedelta(minutes=14)
    )

    assert requeue_abandoned_tasks(now=now) == 1
    worker().run()

    assert DBTaskResult.objects.get(pk=abandoned.id).status == TaskResultStatus.SUCCESSFUL
    assert DBTaskResult.objects.get(pk=recent.id).status == TaskResultStatus.RUNNING


def test_core_registers_its_housekeeping():
    names = {job.name for job in periodic.registered()}
    assert {"outbox-due", "outbox-purge", "abandoned-tasks"} <= names


@pytest.mark.django_db
def test_expired_trusted_browsers_and_codes_are_forgotten_daily(now):
    from core.models import StaffSignInCode, TrustedDevice
    from tests.factories import StaffFactory

    kept_user, gone_user = StaffFactory(), StaffFactory()
    kept = TrustedDevice.objects.create(
        user=kept_user, token_hash="a" * 64, expires_at=now + datetime.timedelta(days=1)
    )
    TrustedDevice.objects.create(
        user=gone_user, token_hash="b" * 64, expires_at=now - datetime.timedelta(seconds=1)
    )
    StaffSignInCode.objects.create(
        user=gone_user, code_hash="c" * 64, expires_at=now - datetime.timedelta(minutes=1)
    )
    assert "staff-devices-purge" in periodic.run_due(now=now)
    assert list(TrustedDevice.objects.all()) == [kept]
    assert not StaffSignInCode.objects.exists()
