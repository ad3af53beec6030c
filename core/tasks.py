from django.core.cache import cache
from django.tasks import task, task_backends
from django.utils import timezone

from core import outbox

# The worker purges old outbox rows at most this often (seconds), after a delivery.
PURGE_EVERY = 3600
PURGE_MARK = "core:outbox-purged"


@task
def deliver_outgoing_email(outgoing_email_id: int) -> str:
    """Send one stored message; on a temporary failure, come back after the backoff delay.

    Each run also purges sent and failed messages past their retention, at most once an hour
    across all workers, so the outbox never grows without bound and needs no cron job.
    """
    row = outbox.claim(outgoing_email_id)
    if row is None:
        return "skipped"
    status = outbox.deliver(row)
    if (
        status == row.Status.PENDING
        and task_backends[deliver_outgoing_email.backend].supports_defer
    ):
        deliver_outgoing_email.using(run_after=row.next_attempt_at).enqueue(row.pk)
    if cache.add(PURGE_MARK, 1, PURGE_EVERY):
        outbox.purge_finished(now=timezone.now())
    return status
