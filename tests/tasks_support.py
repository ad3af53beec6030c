"""Tests that run tasks through a real worker, on the backend `TASKS_BACKEND` names.

`make test` runs them on the database backend (django-tasks-db, in the test database);
`.ci/run` runs them again with `TASKS_BACKEND=rq REDIS_URL=redis://…` (django-tasks-rq on
that Redis, RQ's worker). Mark such a test `@pytest.mark.tasks` and take the `worker_tasks`
fixture (tests/conftest.py): tasks enqueued then go to that backend, and `worker_tasks.run()`
works through what is queued as `manage.py run_worker --batch` would, in this process.

On RQ the tests use the queues of RQ_QUEUES (REDIS_URL's database): they empty those queues
and their registries before and after, and touch no other key.
"""

from django.conf import settings
from django.tasks import task_backends

from core.worker import ResilientWorker


def uses_rq() -> bool:
    return settings.TASKS_BACKEND == "rq"


def rq_queue_keys(queue) -> list[str]:
    """The Redis keys of one RQ queue: the queue, its registries, and the jobs they list."""
    registries = [
        queue.started_job_registry,
        queue.finished_job_registry,
        queue.failed_job_registry,
        queue.deferred_job_registry,
        queue.scheduled_job_registry,
        queue.canceled_job_registry,
    ]
    job_ids = set(queue.get_job_ids())
    for registry in registries:
        job_ids.update(_raw_ids(registry))
    keys = [queue.key, queue.intermediate_queue_key, *(registry.key for registry in registries)]
    for job_id in job_ids:
        keys += [f"rq:job:{job_id}", f"rq:results:{job_id}", f"rq:executions:{job_id}"]
    return keys


def _raw_ids(registry) -> list[str]:
    """Job ids in a registry, straight from its sorted set (entries may be `id:execution`)."""
    return [
        member.decode().split(":")[0] for member in registry.connection.zrange(registry.key, 0, -1)
    ]


class WorkerTasks:
    def __init__(self, settings_fixture):
        settings_fixture.TASKS = settings.WORKER_TASKS
        self.backend = task_backends["default"]
        self.rq = uses_rq()
        self.clean()

    def queues(self):
        import django_rq

        return [django_rq.get_queue(name) for name in sorted(self.backend.queues)]

    def clean(self) -> None:
        if not self.rq:
            return
        for queue in self.queues():
            queue.connection.delete(*rq_queue_keys(queue))
            queue.connection.srem(queue.redis_queues_keys, queue.key)
        # What RQ leaves besides expires by itself (a stopped worker's key, within a minute).

    def run(self) -> None:
        """Run every task that is due, then return (the worker's --batch / burst mode)."""
        if self.rq:
            from core import rq_worker

            rq_worker.run(sorted(self.backend.queues), burst=True, logging_level="WARNING")
            return
        ResilientWorker(
            queue_names=["default"],
            excluded_queue_names=[],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id="test-worker",
        ).run()

    def queued(self, task) -> list[list]:
        """The arguments of each queued (or scheduled) run of `task` not yet started."""
        if self.rq:
            found = []
            for queue in self.queues():
                ids = queue.get_job_ids() + queue.scheduled_job_registry.get_job_ids()
                for job in queue.job_class.fetch_many(ids, connection=queue.connection):
                    if job is not None and job.func_name == task.module_path:
                        found.append(list(job.args))
            return found
        from django.tasks import TaskResultStatus
        from django_tasks_db.models import DBTaskResult

        return [
            result.args_kwargs["args"]
            for result in DBTaskResult.objects.filter(
                status=TaskResultStatus.READY, task_path=task.module_path
            )
        ]
