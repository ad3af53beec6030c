"""Restoring the blog from our own archive (core.transfer.archive), before the generic blog
applier runs: posts with every field, their images under the names the bodies link to, old
slugs (301s), sources, corrections, tags, and the writers' profiles.

Registered for the platform "archive" only, at order 5. Each object made is recorded
(`core.transfer.records`) under the kinds every applier uses, so a second run, and the generic
applier after this one, find it and leave it alone.

An archive is untrusted input like any upload: an image must be a sound image of the format its
name says, stored only at a name of the form the site itself gives (`uploads/<hex>.<ext>`).
"""

import re

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.dateparse import parse_datetime

from blog import articles, images
from blog.demo.content import DEMO_AUTHOR
from blog.models import AuthorProfile, Correction, Image, OldSlug, Post, Source, Tag
from core.transfer import appliers, archive, records
from core.transfer.appliers import Line
from core.transfer.archive import PLATFORM, ArchiveDocument

STORED_NAME = re.compile(r"uploads/[0-9a-f]{32}\.(jpg|png|webp)")


def _when(value):
    return parse_datetime(value) if value else None


def restore_file(stored_name: str, load, *, context) -> str | None:
    """Put an archived image back at its stored name; why not, or None when it is there."""
    if not STORED_NAME.fullmatch(stored_name or ""):
        return f"not a name this site gives an image: {stored_name!r}"
    if load is None:
        return f"{stored_name} is not in the archive"
    if default_storage.exists(stored_name):
        return None
    content = ContentFile(load(), name=stored_name)
    try:
        images.validate_image_upload(content)
    except ValidationError as err:
        return f"{stored_name}: {' '.join(err.messages)}"
    if not context.dry_run:
        default_storage.save(stored_name, content)
    return None


def _user_for(author: dict, *, context, lines: list[Line]):
    """The account an archived writer's posts belong to here.

    The demo author is the demo account; a writer is the site's first superuser still without
    a profile (the person restoring their site), else a new account that cannot sign in.
    """
    if (user := records.target(context, "author", str(author["id"]), get_user_model())) is not None:
        return user
    User = get_user_model()
    if author.get("is_demo"):
        user, created = User.objects.get_or_create(
            username=DEMO_AUTHOR["username"],
            defaults={
                "first_name": DEMO_AUTHOR["first_name"],
                "last_name": DEMO_AUTHOR["last_name"],
            },
        )
    else:
        user = User.objects.filter(is_superuser=True, profile__isnull=True).order_by("pk").first()
        created = False
    if user is None:
        user, created = User.objects.get_or_create(username=f"imported-author-{author['id']}")
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    records.remember(context, "author", str(author["id"]), user)
    lines.append(Line("created", "author", author["display_name"], f"as account {user}"))
    return user


def _restore_profile(author: dict, user, *, document, context, lines) -> None:
    if AuthorProfile.objects.filter(user=user).exists():
        lines.append(Line("skipped", "profile", author["display_name"], "already has one"))
        return
    profile = AuthorProfile(
        user=user,
        display_name=author["display_name"],
        bio=author.get("bio", ""),
        photo_alt=author.get("photo_alt", ""),
        is_demo=bool(author.get("is_demo")),
    )
    photo = author.get("photo") or ""
    stored = photo.removeprefix("media/")
    if photo:
        problem = restore_file(stored, _loader(document, photo), context=context)
        if problem:
            lines.append(Line("failed", "image", photo, problem))
        else:
            profile.photo = stored
    profile.save()
    lines.append(Line("created", "profile", author["display_name"]))


def _loader(document: ArchiveDocument, archive_name: str):
    for author in document.authors:
        if author.photo is not None and author.photo.source == archive_name:
            return author.photo.load
    for post in document.posts:
        for image in [post.feature_image, *post.images]:
            if image is not None and image.source == archive_name:
                return image.load
    return None


def _restore_tags(document: ArchiveDocument, *, context, lines) -> None:
    for tag in document.tags:
        existing = (
            Tag.objects.filter(slug=tag.slug).first() or Tag.objects.filter(name=tag.name).first()
        )
        if existing is not None:
            lines.append(Line("skipped", "tag", tag.name, "already here"))
            continue
        made = Tag.objects.create(
            name=tag.name,
            slug=tag.slug,
            description=tag.description,
            is_demo=bool(tag.record.get("is_demo")),
        )
        if records.find(context, "tag", tag.slug) is None:
            records.remember(context, "tag", tag.slug, made)
        lines.append(Line("created", "tag", tag.name))


def _restore_post(data: dict, author, *, post_doc, context, lines) -> None:
    label = data["title"]
    if records.find(context, "post", str(data["id"])) is not None:
        lines.append(Line("skipped", "post", label, "imported before"))
        return
    if Post.objects.filter(slug=data["slug"]).exists():
        lines.append(Line("skipped", "post", label, f"a post here already uses /{data['slug']}/"))
        return
    # The id it had, when it is free: the post's comment feed (/comments/feed/<id>/) and
    # links naming it keep working.
    keep_id = isinstance(data["id"], int) and not Post.objects.filter(pk=data["id"]).exists()
    post = Post(
        pk=data["id"] if keep_id else None,
        title=data["title"],
        slug=data["slug"],
        kind=data.get("kind", Post.Kind.OPED),
        standfirst=data.get("standfirst", ""),
        body=data["body"],
        status=data["status"],
        publish_at=_when(data.get("publish_at")),
        featured=bool(data.get("featured")),
        comments_open=bool(data.get("comments_open", True)),
        is_demo=bool(data.get("is_demo")),
        last_public_slug=data.get("last_public_slug", ""),
        author=author,
    )
    post.save()
    post.tags.set(Tag.objects.filter(slug__in=data.get("tags", [])))
    for old in data.get("old_slugs", []):
        if not Post.objects.filter(slug=old["slug"]).exists():
            kept, _ = OldSlug.objects.get_or_create(slug=old["slug"], defaults={"post": post})
            OldSlug.objects.filter(pk=kept.pk).update(retired_at=_when(old.get("retired_at")))
    for source in data.get("sources", []):
        Source.objects.create(
            post=post,
            position=source.get("position", 0),
            publisher=source["publisher"],
            title=source["title"],
            url=source["url"],
        )
    for correction in data.get("corrections", []):
        Correction.objects.create(
            post=post, noted_at=_when(correction["noted_at"]), note=correction["note"]
        )
    loads = {
        image.source: image.load for image in [post_doc.feature_image, *post_doc.images] if image
    }
    for image_data in data.get("images", []):
        stored = image_data.get("stored_name", "")
        problem = restore_file(stored, loads.get(image_data.get("file")), context=context)
        if problem:
            lines.append(Line("failed", "image", image_data.get("file") or stored, problem))
            continue
        image = Image(
            post=post,
            file=stored,
            width=image_data.get("width") or 0,
            height=image_data.get("height") or 0,
            alt_text=image_data.get("alt_text", ""),
            caption=image_data.get("caption", ""),
            credit=image_data.get("credit", ""),
            is_cover=bool(image_data.get("is_cover")),
        )
        image.save()
        Image.objects.filter(pk=image.pk).update(uploaded_at=_when(image_data.get("uploaded_at")))
        records.remember(context, "image", str(image_data.get("id", stored)), image)
        if not context.dry_run:
            images.make_renditions(image)
    Post.objects.filter(pk=post.pk).update(
        created_at=_when(data.get("created_at")) or post.created_at,
        updated_at=_when(data.get("updated_at")) or post.updated_at,
    )
    # The dates and renditions above were written with update(), which sends no signal.
    articles.outdate_articles([post.pk])
    records.remember(context, "post", str(data["id"]), post)
    lines.append(Line("created", "post", label))


def apply(document, *, context) -> list[Line]:
    if context.platform != PLATFORM or not isinstance(document, ArchiveDocument):
        return []
    lines: list[Line] = []
    _restore_tags(document, context=context, lines=lines)
    users = {}
    for author in document.authors:
        users[author.source_id] = _user_for(author.record, context=context, lines=lines)
        _restore_profile(
            author.record, users[author.source_id], document=document, context=context, lines=lines
        )
    for post in document.posts:
        author = users.get(post.author_id)
        if author is None:
            lines.append(Line("failed", "post", post.title, "its author is not in the archive"))
            continue
        _restore_post(post.record, author, post_doc=post, context=context, lines=lines)
    archive.reset_sequences(Post)
    return lines


def register() -> None:
    appliers.register("blog-archive", apply=apply, order=5)
