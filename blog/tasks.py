from django.tasks import task

from blog import articles, images
from blog.models import Image
from core.pagecache import refresh_public_pages


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
        articles.outdate_articles([image.post_id])
        refresh_public_pages()


@task
def store_outdated_articles() -> None:
    """After `migrate`, in the worker: articles a release or new settings print differently
    are stored again (`blog.articles`). Off the migration, because the static files their
    head tags name are collected after it."""
    articles.store_outdated_articles()
