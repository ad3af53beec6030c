"""A task worker that rides out a database or cache outage instead of dying.

django-tasks-db's worker lets any error but "database is locked" escape its loop: a restart of
PostgreSQL, or a Redis blip inside a task's bookkeeping, ends the process, and every queued
email then waits until someone restarts it. This worker treats those errors as an outage: it
logs once when the outage starts and once when it ends, waits with backoff (1 s doubling up to
OUTAGE_MAX_WAIT) until the database and the cache answer again, and carries on.
"""

import logging
import time

from django.core.cache import cache
from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django_tasks_db.management.commands.db_worker import Worker
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger("core.worker")

OUTAGE_MAX_WAIT = 30.0
# "A service is unreachable", as opposed to "this code is wrong".
OUTAGE_ERRORS = (OperationalError, InterfaceError, RedisConnectionError, RedisTimeoutError)


class _HideRestartLine(logging.Filter):
    """The library logs "Starting worker" each time its loop starts: once is enough."""

    def __init__(self):
        super().__init__()
        self.started_once = False

    def filter(self, record):
        if record.getMessage().startswith("Starting worker"):
            if self.started_once:
                return False
            self.started_once = True
        return True


class ResilientWorker(Worker):
    """django-tasks-db's worker, resumed in place after an outage (see the module docstring)."""

    sleep = staticmethod(time.sleep)

    def run(self) -> None:
        hide_restarts = _HideRestartLine()
        library_logger = logging.getLogger("django_tasks_db")
        library_logger.addFilter(hide_restarts)
        try:
            while self.running:
                try:
                    super().run()
                    return
                except OUTAGE_ERRORS as error:
                    self.startup_delay = False
                    self.ride_out(error)
        finally:
            library_logger.removeFilter(hide_restarts)

    def ride_out(self, error: Exception) -> None:
        """Wait, with backoff, until the database and the cache answer again."""
        first_line = (str(error).strip().splitlines() or [""])[0]
        logger.warning(
            "Task worker lost its database or cache (%s: %s); waiting for it to come back.",
            type(error).__name__,
            first_line,
        )
        started, wait = time.monotonic(), 1.0
        while self.running:
            self._drop_connections()
            self.sleep(wait)
            if self._services_answer():
                logger.warning("Task worker back after %.0f s.", time.monotonic() - started)
                return
            wait = min(wait * 2, OUTAGE_MAX_WAIT)

    @staticmethod
    def _drop_connections() -> None:
        for connection in connections.all(initialized_only=True):
            try:
                connection.close()
            except DatabaseError:
                pass

    @staticmethod
    def _services_answer() -> bool:
        try:
            connections["default"].ensure_connection()
            cache.get("core:worker-probe")
        except OUTAGE_ERRORS:
            return False
        return True
