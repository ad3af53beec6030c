from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from blog.cache import invalidate_public_pages
from blog.models import AuthorProfile, Correction, Image, Post, Source, Tag

PUBLIC_CONTENT = (Post, Tag, Image, Source, Correction, AuthorProfile)


def refresh_public_pages(sender, **kwargs):
    """Anything a public page shows changed: cached pages, feeds and the sitemap start afresh."""
    invalidate_public_pages()


for model in PUBLIC_CONTENT:
    post_save.connect(refresh_public_pages, sender=model, dispatch_uid=f"pages-{model.__name__}")
    post_delete.connect(
        refresh_public_pages, sender=model, dispatch_uid=f"pages-{model.__name__}-d"
    )


@receiver(m2m_changed, sender=Post.tags.through)
def refresh_after_retagging(sender, **kwargs):
    invalidate_public_pages()
