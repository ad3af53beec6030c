"""Work that must happen every so often, with no cron, once per period across all workers.

Apps register jobs in their `AppConfig.ready()`: `periodic.register("outbox-purge",
every=timedelta(hours=1), run=purge)`. Every task worker runs a `PeriodicRunner` thread that
wakes up every PERIODIC_TICK_SECONDS and runs the jobs whose period has begun. A job runs once
per period however many workers there are: the first worker to claim the period in the shared
cache (Redis, or the database cache) runs it; the others skip it.
"""

import datetime
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import close_old_connections
from django.utils import timezone

logger = logging.getLogger("core.periodic")


@dataclass(frozen=True)
class Job:
    name: str
    every: datetime.timedelta
    run: Callable[..., object]  # called as run(now=...)


_jobs: dict[str, Job] = {}


def register(name: str, *, every: datetime.timedelta, run: Callable[..., object]) -> None:
    """Run `run(now=...)` once every `every`; registering a name again replaces the job."""
    _jobs[name] = Job(name=name, every=every, run=run)


def registered() -> list[Job]:
    return list(_jobs.values())


def _claim_period(job: Job, now: datetime.datetime) -> bool:
    seconds = job.every.total_seconds()
    period = int(now.timestamp() // seconds)
    return cache.add(f"periodic:{job.name}:{period}", 1, int(seconds * 2) + 1)


def run_due(*, now: datetime.datetime) -> list[str]:
    """Run every job whose current period no worker has claimed yet; return their names.

    A failing job is logged and retried in its next period; it never stops the others.
    """
    ran = []
    for job in registered():
        if not _claim_period(job, now):
            continue
        try:
            job.run(now=now)
        except Exception:
            logger.exception("Periodic job %s failed; it runs again next period.", job.name)
        ran.append(job.name)
    return ran


class PeriodicRunner(threading.Thread):
    """The thread a worker runs beside its task loop (see the module docstring)."""

    def __init__(self, *, clock=None, tick: float | None = None):
        super().__init__(name="periodic-jobs", daemon=True)
        self.clock = clock
        self.tick = tick if tick is not None else settings.PERIODIC_TICK_SECONDS
        self.stopped = threading.Event()

    def run(self) -> None:
        failing = False
        while not self.stopped.is_set():
            close_old_connections()
            try:
                run_due(now=(self.clock or timezone.now)())
            except Exception as error:  # the cache or database is away: try next tick
                if not failing:
                    logger.warning("Periodic jobs paused: %s: %s", type(error).__name__, error)
                failing = True
            else:
                if failing:
                    logger.warning("Periodic jobs resumed.")
                failing = False
            self.stopped.wait(self.tick)
        close_old_connections()

    def stop(self) -> None:
        self.stopped.set()
