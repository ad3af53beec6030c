import datetime

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.tasks import TaskResultStatus, task, task_backends
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from core import outbox, taskqueue
from core.models import StaffSignInCode, TrustedDevice


@task
def deliver_outgoing_email(outgoing_email_id: int) -> str:
    """Send one stored message; on a temporary failure, come back after the backoff delay."""
    row = outbox.claim(outgoing_email_id)
    if row is None:
        return "skipped"
    status = outbox.deliver(row)
    if (
        status == row.Status.PENDING
        and task_backends[deliver_outgoing_email.backend].supports_defer
    ):
        deliver_outgoing_email.using(run_after=row.next_attempt_at).enqueue(row.pk)
    return status


# Periodic jobs (core.periodic, registered in CoreConfig.ready) ---------------------------


def enqueue_due_email(*, now: datetime.datetime) -> int:
    """Give a new task to each message whose task was lost (outbox.orphaned_messages). Should
    its old task still turn up, only one of the two claims the message."""
    due = outbox.orphaned_messages(now=now)
    for pk in due:
        transaction.on_commit(lambda pk=pk: deliver_outgoing_email.enqueue(pk), robust=True)
    return len(due)


def purge_old_email(*, now: datetime.datetime) -> int:
    """Sent and failed messages past OUTBOX_RETENTION_DAYS go; the outbox never grows unbounded."""
    return outbox.purge_finished(now=now)


def forget_expired_staff_devices(*, now: datetime.datetime) -> int:
    """Trusted browsers and sign-in codes past their expiry: nothing left to keep them for."""
    devices, _ = TrustedDevice.objects.filter(expires_at__lt=now).delete()
    codes, _ = StaffSignInCode.objects.filter(expires_at__lt=now).delete()
    return devices + codes


def requeue_abandoned_tasks(*, now: datetime.datetime) -> int:
    """Tasks left "running" by a worker that died (kill -9, power cut) run again.

    Past TASKS_LEASE_SECONDS a running task is presumed dead: every task of this site finishes
    well within it (edition sending re-enqueues itself every NEWSLETTER_TASK_SECONDS) and may
    safely run twice (each claims its rows before acting). On RQ, RQ itself finds them.
    """
    if not any(isinstance(backend, DatabaseBackend) for backend in task_backends.all()):
        return taskqueue.requeue_abandoned_rq_jobs()
    cutoff = now - datetime.timedelta(seconds=settings.TASKS_LEASE_SECONDS)
    return (
        DBTaskResult.objects.running()
        .filter(started_at__lt=cutoff)
        .update(status=TaskResultStatus.READY, started_at=None)
    )


# The fewest rows a table must hold for its ANALYZE figures to be kept (see below).
MIN_ROWS_FOR_STATISTICS = 1000


def refresh_query_statistics(
    *, now: datetime.datetime | None = None, using=DEFAULT_DB_ALIAS
) -> bool:
    """Give SQLite's query planner table statistics (`ANALYZE`); True when it ran.

    Without `sqlite_stat1` SQLite guesses, and picks a scan of every comment on the site over
    the index on the post's comments. PostgreSQL's autovacuum keeps its own statistics.
    Runs after every `migrate` and once a day, so the figures follow the data as it grows.

    Figures of a table with a handful of rows are worse than none: believing a table holds
    three rows, SQLite scans all of it for every row of another, and a site that grows from
    the demo content to an imported archive of 10,000 comments in an afternoon then spends
    minutes on each count. Tables under `MIN_ROWS_FOR_STATISTICS` rows keep none (SQLite then
    assumes a large table and uses its indexes) until a later run finds them grown.
    """
    connection = connections[using]
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        # `stat` starts with the table's row count ("3 1 1"): CAST reads that first number.
        cursor.execute(
            "DELETE FROM sqlite_stat1 WHERE CAST(stat AS INTEGER) < %s", [MIN_ROWS_FOR_STATISTICS]
        )
        cursor.execute("ANALYZE sqlite_schema")  # the planner reads the figures again
    return True


def refresh_query_statistics_after_migrate(*, using, **kwargs) -> None:
    refresh_query_statistics(using=using)
