"""What a change to public content sets off: fresh cached pages, feeds and sitemap.

Connected in `BlogConfig.ready()`.
"""

from django.db.models.signals import m2m_changed, post_delete, post_save

from blog.models import AuthorProfile, Correction, Image, Post, Source, Tag
from core.pagecache import refresh_public_pages

PUBLIC_CONTENT = (Post, Tag, Image, Source, Correction, AuthorProfile)


def public_content_changed(sender, raw=False, **kwargs):
    """Anything a public page shows changed: cached pages start afresh once the save commits."""
    if not raw:
        refresh_public_pages()


def connect_receivers() -> None:
    for model in PUBLIC_CONTENT:
        name = model.__name__
        post_save.connect(public_content_changed, sender=model, dispatch_uid=f"pages-{name}")
        post_delete.connect(public_content_changed, sender=model, dispatch_uid=f"pages-{name}-d")
    m2m_changed.connect(public_content_changed, sender=Post.tags.through, dispatch_uid="pages-tags")
