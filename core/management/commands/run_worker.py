import os
from argparse import ArgumentTypeError

from django.core.management.base import CommandError
from django.tasks import InvalidTaskBackend, task_backends
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands import db_worker

from core.periodic import PeriodicRunner
from core.worker import ResilientWorker


def _uses_rq(backend) -> bool:
    from django_tasks_rq import RQBackend

    return isinstance(backend, RQBackend)


def worker_backend(alias: str) -> str:
    """A task backend some worker runs: django-tasks-db's, or django-tasks-rq's."""
    try:
        backend = task_backends[alias]
    except InvalidTaskBackend as error:
        raise ArgumentTypeError(error.args[0]) from error
    if not (_uses_rq(backend) or db_worker.valid_backend_name(alias)):
        raise ArgumentTypeError(f"Backend {alias!r} is run by no worker")
    return alias


class Command(db_worker.Command):
    help = (
        "Run the background task worker (email, editions, images, headlines): django-tasks-db's "
        "worker, or RQ's with TASKS_BACKEND=rq (without --reload). It survives a database or "
        "cache outage: it waits with backoff and carries on where it stopped. Beside it, a "
        "thread runs the periodic jobs the apps register (no cron needed)."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        backend_option = next(a for a in parser._actions if a.dest == "backend_name")
        backend_option.type = worker_backend

    def handle(self, *, verbosity, reload, queue_name, exclude_queues, **options):
        self.configure_logging(verbosity)
        queue_names = queue_name.split(",")
        excluded = exclude_queues.split(",") if exclude_queues else []
        if excluded and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        backend = task_backends[options["backend_name"]]
        if _uses_rq(backend):
            # No autoreload on RQ: its worker sets signal handlers, which only the main thread
            # may do, and the reloader runs the command in another thread.
            self._run_rq(backend, queue_names, excluded, verbosity=verbosity, **options)
            return
        worker = ResilientWorker(
            queue_names=queue_names,
            excluded_queue_names=excluded,
            interval=options["interval"],
            batch=options["batch"],
            backend_name=options["backend_name"],
            startup_delay=options["startup_delay"],
            max_tasks=options["max_tasks"],
            worker_id=options["worker_id"],
        )

        def work():
            with_periodic_jobs(worker.run)

        if reload and not options["batch"]:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()
            run_with_reloader(work)
        else:
            worker.configure_signals()
            work()

    @staticmethod
    def _run_rq(backend, queue_names, excluded, *, verbosity, **options):
        """RQ's worker on the backend's queues (`*`: all of them, less --exclude-queues)."""
        from core import rq_worker

        if "*" in queue_names:
            queue_names = sorted(set(backend.queues) - set(excluded))
        unknown = set(queue_names) - set(backend.queues)
        if unknown:
            raise CommandError(f"No RQ queue named {', '.join(sorted(unknown))} (RQ_QUEUES).")

        with_periodic_jobs(
            lambda: rq_worker.run(
                queue_names,
                burst=options["batch"],
                max_jobs=options["max_tasks"],
                name=options["worker_id"],
                logging_level={0: "WARNING", 1: "WARNING", 2: "INFO"}.get(verbosity, "DEBUG"),
            )
        )


def with_periodic_jobs(run_worker) -> None:
    periodic_jobs = PeriodicRunner()
    periodic_jobs.start()
    try:
        run_worker()
    finally:
        periodic_jobs.stop()
