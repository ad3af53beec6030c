import os

from django.core.management.base import CommandError
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands import db_worker

from core.periodic import PeriodicRunner
from core.worker import ResilientWorker


class Command(db_worker.Command):
    help = (
        "Run the background task worker (email, editions, images, headlines). It survives a "
        "database or cache outage: it waits with backoff and carries on where it stopped. Beside "
        "it, a thread runs the periodic jobs the apps register (no cron needed)."
    )

    def handle(self, *, verbosity, reload, queue_name, exclude_queues, **options):
        self.configure_logging(verbosity)
        queue_names = queue_name.split(",")
        excluded = exclude_queues.split(",") if exclude_queues else []
        if excluded and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
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
            periodic_jobs = PeriodicRunner()
            periodic_jobs.start()
            try:
                worker.run()
            finally:
                periodic_jobs.stop()

        if reload and not options["batch"]:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()
            run_with_reloader(work)
        else:
            worker.configure_signals()
            work()
