from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from blog.cache import invalidate_public_pages
from blog.models import Post


@receiver(post_save, sender=Post)
@receiver(post_delete, sender=Post)
def refresh_public_pages(sender, **kwargs):
    invalidate_public_pages()
