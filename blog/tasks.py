from django.tasks import task, task_backends

from blog import images
from blog.cache import invalidate_public_pages
from blog.models import Image


@task
def make_image_renditions(image_id: int) -> None:
    """Cut an uploaded image's responsive renditions in the worker, off the upload request.

    Resizing a large photograph into several widths and formats takes seconds; the page shows
    the original until the renditions are recorded. An image deleted in the meantime is skipped.
    """
    image = Image.objects.filter(pk=image_id).first()
    if image is not None:
        images.make_renditions(image)
        # The renditions were recorded with update(), which sends no signal.
        invalidate_public_pages()


@task
def deliver_outgoing_email(outgoing_email_id: int) -> str:
    """Send one stored message; on a temporary failure, come back after the backoff delay."""
    from blog import mail

    row = mail.claim(outgoing_email_id)
    if row is None:
        return "skipped"
    status = mail.deliver(row)
    if (
        status == row.Status.PENDING
        and task_backends[deliver_outgoing_email.backend].supports_defer
    ):
        deliver_outgoing_email.using(run_after=row.next_attempt_at).enqueue(row.pk)
    return status
