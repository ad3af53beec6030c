"""Liveness and readiness, for a load balancer, systemd or an orchestrator.

`/healthz` answers 200 whenever the process can answer at all: it touches nothing else, so a
database outage never gets healthy web nodes restarted. `/readyz` says whether this node can
serve real requests: the database answers, the shared cache answers, and the task queue can
take work. A node that is not ready answers 503 with the names of what failed (never the
error itself), so the balancer sends readers elsewhere until it is.
"""

import logging

from django.core.cache import cache
from django.db import connections
from django.http import JsonResponse
from django.tasks import task_backends
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_safe
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult

logger = logging.getLogger("core.health")


def _database() -> None:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT 1")


def _cache() -> None:
    cache.get("core:readiness-probe")


def _queue() -> None:
    """Every task backend can take work: the database backend's table answers, RQ's Redis
    answers. (Backends that run tasks in the request, as in tests, have nothing to reach.)"""
    from django_tasks_rq import RQBackend

    for backend in task_backends.all():
        if isinstance(backend, DatabaseBackend):
            DBTaskResult.objects.order_by().values_list("pk")[:1].exists()
        elif isinstance(backend, RQBackend):
            import django_rq

            for name in backend.queues:
                django_rq.get_connection(name).ping()


CHECKS = {"database": _database, "cache": _cache, "queue": _queue}


def _never_cached(response):
    add_never_cache_headers(response)
    return response


@require_safe
def healthz(request):
    return _never_cached(JsonResponse({"status": "alive"}))


@require_safe
def readyz(request):
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception:
            logger.warning("Readiness check %r failed", name, exc_info=True)
            results[name] = "unavailable"
        else:
            results[name] = "ok"
    ready = all(result == "ok" for result in results.values())
    return _never_cached(
        JsonResponse(
            {"status": "ready" if ready else "unavailable", "checks": results},
            status=200 if ready else 503,
        )
    )
