"""The task worker on RQ (`TASKS_BACKEND=rq`): django-tasks-rq's jobs, run by RQ's worker.

`manage.py run_worker` starts this instead of the database worker when the task backend is
django-tasks-rq's. Choices, each for the same reason as the database worker's:

- **Job class**: django-tasks-rq's `Job`, which runs the Django task the job names (RQ's own
  would call the task object as a function) and records its result for `get_result()`.
- **Worker class**: RQ's `SimpleWorker` runs each job in the worker's own process, as the
  database worker does, instead of forking a "work horse" per job: Django's database
  connection is reused from job to job (closed around each job when broken or too old, as
  after a web request), and a `kill -9` of the worker stops its job with it.
- **Scheduler**: on, so tasks enqueued with `run_after` (a scheduled edition, an email retry)
  run on time; RQ gives that role to one worker at a time through a lock in Redis.
- **Outages**: RQ waits out an unreachable Redis while it waits for jobs, and quits its loop
  on any other error of its own; this worker is then started again once Redis and the
  database answer (logged once when the outage starts and once when it ends). A job whose
  database went away fails; the periodic jobs (core.periodic) give its work a new task.
"""

import logging
import time

from django.db import DatabaseError, close_old_connections, connections
from django_rq.queues import get_queues
from django_tasks_rq import Job
from rq.exceptions import StopRequested
from rq.worker import SimpleWorker

from core.worker import OUTAGE_ERRORS, OUTAGE_MAX_WAIT

logger = logging.getLogger("core.worker")

WORKER_TTL = 75
MAINTENANCE_SECONDS = 60


class DjangoJobWorker(SimpleWorker):
    """RQ's in-process worker, with Django's connection hygiene around every job."""

    def perform_job(self, job, queue, execution) -> bool:
        close_old_connections()
        try:
            return super().perform_job(job, queue, execution)
        finally:
            close_old_connections()


def build_worker(queue_names: list[str], *, name: str | None = None) -> DjangoJobWorker:
    queues = get_queues(*queue_names, job_class=Job)
    return DjangoJobWorker(
        queues,
        connection=queues[0].connection,
        job_class=Job,
        name=name or None,
        # RQ's defaults (a heartbeat every 7 minutes, housekeeping every 10) leave the
        # scheduler's role and abandoned jobs waiting that long after a worker is killed.
        worker_ttl=WORKER_TTL,
        maintenance_interval=MAINTENANCE_SECONDS,
    )


def _services_answer(worker: DjangoJobWorker) -> bool:
    try:
        worker.connection.ping()
        connections["default"].ensure_connection()
    except OUTAGE_ERRORS:
        return False
    return True


def run(
    queue_names: list[str],
    *,
    burst: bool = False,
    max_jobs: int | None = None,
    name: str | None = None,
    logging_level: str = "INFO",
    sleep=time.sleep,
) -> None:
    """Work until asked to stop (SIGTERM, Ctrl-C), or until the queues are empty in `burst`."""
    while True:
        worker = build_worker(queue_names, name=name)
        try:
            worker.work(
                burst=burst, max_jobs=max_jobs, with_scheduler=True, logging_level=logging_level
            )
        except OUTAGE_ERRORS as error:
            reason = f"{type(error).__name__}: {error}"
        else:
            if burst or max_jobs or worker._shutdown_requested_date is not None:
                return  # done, or asked to stop (SIGTERM, Ctrl-C)
            reason = "its loop stopped on an error"
        try:
            if not _ride_out(worker, reason=reason, sleep=sleep):
                return
        except StopRequested:  # SIGTERM or Ctrl-C while waiting (RQ's signal handlers)
            return


def _ride_out(worker: DjangoJobWorker, *, reason: str, sleep) -> bool:
    """Wait, with backoff, until Redis and the database answer; False if asked to stop."""
    logger.warning("Task worker lost Redis or its database (%s); waiting for it.", reason)
    started, wait = time.monotonic(), 1.0
    while worker._shutdown_requested_date is None:
        for connection in connections.all(initialized_only=True):
            try:
                connection.close()  # broken by the outage: the next query opens a new one
            except DatabaseError:
                pass
        sleep(wait)
        if _services_answer(worker):
            logger.warning("Task worker back after %.0f s.", time.monotonic() - started)
            return True
        wait = min(wait * 2, OUTAGE_MAX_WAIT)
    return False
