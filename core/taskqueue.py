"""What a task backend has queued for a task, asked the same way on the database and on RQ.

The edition engine (newsletter/tasks.py) keeps a fixed number of `deliver_edition` chains
going per edition: it must know how many are waiting or running, and how many workers could
run them. django-tasks-db answers from its table; RQ from its queue, its scheduled-job
registry and its started-job registry (django-tasks-rq stores the task's path as the job's
function and the task's arguments as the job's). Neither backend's Task API says this.
"""

import datetime
from dataclasses import dataclass

from django.tasks import TaskResultStatus, task_backends
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult, get_date_max


@dataclass(frozen=True)
class Run:
    """One run of a task not finished yet: `started_at` is None while it waits; `due_at` is
    when RQ's scheduler is to queue a deferred run."""

    args: list
    started_at: datetime.datetime | None = None
    due_at: datetime.datetime | None = None


def uses_rq(task) -> bool:
    from django_tasks_rq import RQBackend

    return isinstance(task_backends[task.backend], RQBackend)


def runs(task, *, by: datetime.datetime) -> list[Run]:
    """The runs of `task` waiting to start no later than `by`, and (RQ) those running now,
    except the one asking. On the database backend only waiting runs are listed."""
    if uses_rq(task):
        return _rq_runs(task, by=by)
    if not isinstance(task_backends[task.backend], DatabaseBackend):
        return []
    from django.db.models import Q

    waiting = DBTaskResult.objects.filter(
        Q(run_after__lte=by) | Q(run_after=get_date_max()),  # the latter: "as soon as possible"
        status=TaskResultStatus.READY,
        task_path=task.module_path,
        backend_name=task.backend,
    ).values_list("args_kwargs", flat=True)
    return [Run(args=list(args_kwargs["args"])) for args_kwargs in waiting]


def workers(task) -> int:
    """How many workers take this task's queue: RQ's live workers; 1 for the database."""
    if not uses_rq(task):
        return 1
    from rq.worker import Worker

    return len(Worker.all(queue=_rq_queue(task)))


def _rq_queue(task):
    import django_rq
    from django_tasks_rq import Job

    return django_rq.get_queue(task.queue_name, job_class=Job)


def _rq_runs(task, *, by: datetime.datetime) -> list[Run]:
    from rq import get_current_job

    queue = _rq_queue(task)
    current = get_current_job()
    registry = queue.scheduled_job_registry
    due = {
        job_id.decode(): datetime.datetime.fromtimestamp(score, datetime.UTC)
        for job_id, score in queue.connection.zrange(registry.key, 0, -1, withscores=True)
    }
    due = {job_id: due_at for job_id, due_at in due.items() if due_at <= by}
    waiting = set(queue.get_job_ids()) | set(due)
    started = set(queue.started_job_registry.get_job_ids(0, -1, cleanup=False))
    ids = [job_id for job_id in waiting | started if not current or job_id != current.id]
    found = []
    for job in queue.job_class.fetch_many(ids, connection=queue.connection):
        if job is None or job.func_name != task.module_path:
            continue
        started_at = job.started_at if job.id in started else None
        found.append(Run(args=list(job.args), started_at=started_at, due_at=due.get(job.id)))
    return found


RECENT_FAILURES = 1000


def requeue_abandoned_rq_jobs() -> int:
    """Run again the RQ jobs whose worker died while running them (kill -9, power cut).

    RQ moves such a job to its failed-job registry once its timeout (TASKS_LEASE_SECONDS) is
    past, with AbandonedJobError as the reason; the database backend's equivalent is
    core.tasks.requeue_abandoned_tasks. Jobs that failed by raising stay failed.
    """
    import django_rq
    from django_tasks_rq import Job

    requeued = 0
    for backend in task_backends.all():
        if not isinstance(backend, _rq_backend_class()):
            continue
        for name in sorted(backend.queues):
            registry = django_rq.get_queue(name, job_class=Job).failed_job_registry
            # The latest failures are enough (the job runs every minute); RQ keeps the failed
            # jobs of a year.
            ids = registry.get_job_ids(0, RECENT_FAILURES - 1, desc=True, cleanup=False)
            for job in Job.fetch_many(ids, connection=registry.connection):
                if job is not None and "AbandonedJobError" in (job.exc_info or ""):
                    registry.requeue(job)
                    requeued += 1
    return requeued


def _rq_backend_class():
    from django_tasks_rq import RQBackend

    return RQBackend
