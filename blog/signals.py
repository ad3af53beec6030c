"""What a save sets off: fresh cached pages, feeds and sitemap; renditions of a new image;
the stored article of every post whose article shows what changed (`blog.articles`).

Connected in `BlogConfig.ready()`.
"""

from functools import partial

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete

from blog import articles
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


def post_saved(sender, instance, raw=False, **kwargs):
    """`Post.save` raised the version; the article is rendered again once the save commits."""
    if raw:
        # Loaded as stored (`loaddata`, a restore), stored parts included; the tags it sets
        # next change nothing either (`tags_changed`).
        instance._loaded_as_stored = True
    else:
        transaction.on_commit(partial(articles.store_articles, [instance.pk]), robust=True)


def part_changed(sender, instance, raw=False, **kwargs):
    """An image, source or correction of a post was saved or deleted."""
    if not raw:
        articles.outdate_articles([instance.post_id])


def tag_changed(sender, instance, raw=False, **kwargs):
    """A tag was renamed, or is about to be deleted (its posts are still linked)."""
    if not raw and instance.pk is not None:
        articles.outdate_articles(instance.posts.values_list("pk", flat=True))


def tags_changed(sender, instance, action, reverse, model, pk_set, **kwargs):
    """Tags added to or taken off a post, or posts to or from a tag."""
    if action not in ("post_add", "post_remove", "pre_clear"):
        return
    if getattr(instance, "_loaded_as_stored", False):  # m2m_changed has no `raw`
        return
    if not reverse:
        articles.outdate_articles([instance.pk])
    elif action == "pre_clear":
        articles.outdate_articles(instance.posts.values_list("pk", flat=True))
    else:
        articles.outdate_articles(pk_set or ())


def byline_changed(sender, instance, raw=False, update_fields=None, **kwargs):
    """The author's name as the byline shows it (profile, or their full name) may have changed."""
    if raw:
        return
    if isinstance(instance, AuthorProfile):
        author_id = instance.user_id
    elif update_fields is None or {"first_name", "last_name"} & set(update_fields):
        author_id = instance.pk
    else:  # a sign-in's last_login, a new password: not what a byline shows
        return
    articles.outdate_articles(Post.objects.filter(author_id=author_id).values_list("pk", flat=True))


def connect_receivers() -> None:
    post_save.connect(post_saved, sender=Post, dispatch_uid="article-post")
    for model in (Image, Source, Correction):
        name = model.__name__
        post_save.connect(part_changed, sender=model, dispatch_uid=f"article-{name}")
        post_delete.connect(part_changed, sender=model, dispatch_uid=f"article-{name}-d")
    post_save.connect(tag_changed, sender=Tag, dispatch_uid="article-tag")
    pre_delete.connect(tag_changed, sender=Tag, dispatch_uid="article-tag-d")
    m2m_changed.connect(tags_changed, sender=Post.tags.through, dispatch_uid="article-tags")
    for model in (AuthorProfile, get_user_model()):
        name = model.__name__
        post_save.connect(byline_changed, sender=model, dispatch_uid=f"article-{name}")
    post_delete.connect(byline_changed, sender=AuthorProfile, dispatch_uid="article-profile-d")
    post_save.connect(image_saved, sender=Image, dispatch_uid="image-renditions")
    for model in PUBLIC_CONTENT:
        name = model.__name__
        post_save.connect(public_content_changed, sender=model, dispatch_uid=f"pages-{name}")
        post_delete.connect(public_content_changed, sender=model, dispatch_uid=f"pages-{name}-d")
    m2m_changed.connect(public_content_changed, sender=Post.tags.through, dispatch_uid="pages-tags")
