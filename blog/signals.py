"""What a save sets off: fresh cached pages, feeds and sitemap; renditions of a new image.

Connected in `BlogConfig.ready()`.
"""

from functools import partial

from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from blog.models import AuthorProfile, Correction, Image, Post, Source, Tag
from blog.tasks import make_image_renditions
from core.pagecache import refresh_public_pages

PUBLIC_CONTENT = (Post, Tag, Image, Source, Correction, AuthorProfile)


def public_content_changed(sender, raw=False, **kwargs):
    """Anything a public page shows changed: cached pages start afresh once the save commits."""
    if not raw:
        refresh_public_pages()


def image_saved(sender, instance, raw=False, **kwargs):
    """A new upload gets its renditions cut by the worker, once the save has committed."""
    if not raw and getattr(instance, "needs_renditions", False):
        transaction.on_commit(partial(make_image_renditions.enqueue, instance.pk), robust=True)


def connect_receivers() -> None:
    post_save.connect(image_saved, sender=Image, dispatch_uid="image-renditions")
    for model in PUBLIC_CONTENT:
        name = model.__name__
        post_save.connect(public_content_changed, sender=model, dispatch_uid=f"pages-{name}")
        post_delete.connect(public_content_changed, sender=model, dispatch_uid=f"pages-{name}-d")
    m2m_changed.connect(public_content_changed, sender=Post.tags.through, dispatch_uid="pages-tags")
