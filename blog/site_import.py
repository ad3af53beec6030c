"""Writing an imported site's authors, tags, posts, pages and images (issue 14).

Registered with `core.transfer.appliers` in `BlogConfig.ready()`. Images are copied only
from the export itself (`Image.load`); one the export does not hold becomes a link to where
it was, and the report says so: nothing is ever fetched from the network here.
"""

import dataclasses
import io
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.text import slugify

from blog import images
from blog.models import AuthorProfile, Image, Post, Tag
from core.transfer import document as doc
from core.transfer import html, records
from core.transfer.appliers import Context, Line
from core.transfer.document import UnreadableExport


def apply(document: doc.Document, *, context: Context) -> list[Line]:
    lines: list[Line] = []
    authors = _authors(document, context, lines)
    _tags(document, lines)
    items = [("post", post) for post in document.posts] + [
        ("page", page) for page in document.pages
    ]
    if items and not authors and default_author() is None:
        return [*lines, Line("failed", "post", "every post", "no writer account here yet")]
    for kind, item in items:
        author = authors.get(item.author_id) or default_author()
        lines.extend(_post(item, kind=kind, author=author, context=context))
    return lines


def default_author():
    """Who is credited with a post whose author the export does not name: the site's first
    writer (the earliest superuser, else the earliest staff member)."""
    users = get_user_model().objects.filter(is_staff=True, is_active=True)
    return users.order_by("-is_superuser", "pk").first()


def _authors(document, context, lines) -> dict:
    User = get_user_model()
    found = {}
    for author in document.authors:
        user = records.target(context, "author", author.source_id, User)
        if user is not None:
            found[author.source_id] = user
            lines.append(Line("skipped", "author", author.display_name, "imported before"))
            continue
        existing = User.objects.filter(email__iexact=author.email).first() if author.email else None
        if existing is not None:
            found[author.source_id] = existing
            records.remember(context, "author", author.source_id, existing)
            lines.append(
                Line(
                    "skipped",
                    "author",
                    author.display_name,
                    f"has an account here ({existing.get_username()}): their posts are credited "
                    "to it",
                )
            )
            continue
        user = User(username=_free_username(author), email=author.email, is_active=False)
        user.set_unusable_password()
        user.save()
        profile = AuthorProfile(
            user=user, display_name=author.display_name[:100], bio=html.to_text(author.bio)
        )
        reason = "a byline without a sign-in"
        if author.photo is not None and author.photo.load is not None and not context.dry_run:
            try:
                profile.photo = _image_file(author.photo.load())
                profile.photo_alt = f"Photo of {author.display_name}"[:250]
            except (ValidationError, UnreadableExport) as err:
                reason += f"; photo not imported: {_message(err)}"
        profile.save()
        records.remember(context, "author", author.source_id, user)
        found[author.source_id] = user
        lines.append(Line("created", "author", author.display_name, reason))
    return found


def _free_username(author: doc.Author) -> str:
    User = get_user_model()
    base = ("imported-" + slugify(author.source_id or author.display_name))[:140] or "imported"
    name, n = base, 1
    while User.objects.filter(username=name).exists():
        n += 1
        name = f"{base}-{n}"
    return name


def _tags(document, lines) -> None:
    seen = set()
    for tag in document.tags:
        name = tag.name.strip()[:60]
        if not name or name.lower() in seen:
            continue
        seen.add(name.lower())
        slug = slugify(tag.slug or name)[:60] or slugify(name)[:60]
        if Tag.objects.filter(name__iexact=name).exists() or Tag.objects.filter(slug=slug).exists():
            lines.append(Line("skipped", "tag", name, "already here"))
            continue
        Tag.objects.create(name=name, slug=slug, description=tag.description[:300])
        lines.append(Line("created", "tag", name))


def _tag_for(name: str) -> Tag | None:
    name = name.strip()[:60]
    if not name:
        return None
    tag = Tag.objects.filter(name__iexact=name).first()
    if tag is None:
        slug = slugify(name)[:60]
        tag = Tag.objects.filter(slug=slug).first() or Tag.objects.create(name=name, slug=slug)
    return tag


def _free_slug(wanted: str) -> str:
    base = slugify(wanted)[:190] or "imported-post"
    slug, n = base, 1
    while Post.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _post(item: doc.Post, *, kind: str, author, context: Context) -> list[Line]:
    title = item.title[:200]
    if records.find(context, kind, item.source_id) is not None:
        return [Line("skipped", kind, title, "imported before")]
    if item.body_format == "html":
        body = html.to_post_source(item.body)
    else:
        body = item.body
    if not body.strip():
        return [Line("failed", kind, title, "it has no text")]
    slug = _free_slug(item.slug or item.title)
    published = item.status == "published"
    post = Post(
        title=title,
        slug=slug,
        kind=Post.Kind.ARTICLE,
        standfirst=html.plain(item.excerpt)[:300],
        body=body,
        author=author,
        status=Post.Status.PUBLISHED if published else Post.Status.DRAFT,
        publish_at=(item.published_at or context.now) if published else None,
        comments_open=item.comments_open,
    )
    post.save()
    tags = [tag for name in item.tags if (tag := _tag_for(name))]
    post.tags.set(tags)
    record = records.remember(context, kind, item.source_id, post)
    lines = []
    reasons = []
    if kind == "page":
        reasons.append("as a post: this site has no standalone pages")
    if slug != slugify(item.slug or item.title)[:190]:
        reasons.append(f"address renamed to {slug} (taken here)")
    body, image_lines = _body_images(post, item, context)
    if body != post.body:
        post.body = body
        post.save()
    if item.feature_image is not None:
        image_lines.append(_cover(post, item.feature_image, context))
    records.add_redirects(record, item.old_urls, new_path=post.get_absolute_url())
    lines.append(Line("created", kind, title, "; ".join(reasons)))
    return lines + image_lines


def _label(src: str) -> str:
    return PurePosixPath(urlsplit(src).path).name or src[:80]


def _body_images(post: Post, item: doc.Post, context: Context) -> tuple[str, list[Line]]:
    body, lines = post.body, []
    for image in item.images:
        if image.source not in body:
            continue
        if not image.alt_text.strip():
            image = dataclasses.replace(image, alt_text=html.alt_of(body, image.source))
        if image.load is None:
            body = html.unlink_image(body, image.source, label=image.alt_text or "Image")
            lines.append(
                Line(
                    "skipped",
                    "image",
                    _label(image.source),
                    f"not in the export: “{item.title[:60]}” links to it at {image.source}",
                )
            )
            continue
        try:
            stored = _store(post, image, context, is_cover=False)
        except (ValidationError, UnreadableExport) as err:
            body = html.unlink_image(body, image.source, label=image.alt_text or "Image")
            lines.append(Line("failed", "image", _label(image.source), _message(err)))
            continue
        if stored is not None:
            body = html.replace_image(body, image.source, stored.file.url)
        lines.append(Line("created", "image", _label(image.source), _alt_note(image)))
    return body, lines


def _cover(post: Post, image: doc.Image, context: Context) -> Line:
    if image.load is None:
        return Line(
            "skipped", "cover", _label(image.source), "not in the export: the post has no cover"
        )
    try:
        _store(post, image, context, is_cover=True)
    except (ValidationError, UnreadableExport) as err:
        return Line("failed", "cover", _label(image.source), _message(err))
    return Line("created", "cover", _label(image.source), _alt_note(image))


def _alt_note(image: doc.Image) -> str:
    return "" if image.alt_text.strip() else "no alt text on the old site: describe it here"


def _store(post: Post, image: doc.Image, context: Context, *, is_cover: bool) -> Image | None:
    """The image copied into our storage through the usual pipeline (checked, re-encoded,
    renditions after commit); on a dry run only checked."""
    file = _image_file(image.load())
    if context.dry_run:
        return None
    return Image.objects.create(
        post=post,
        file=file,
        alt_text=(image.alt_text.strip() or f"Image in “{post.title}”")[:250],
        caption=image.caption[:300],
        credit=image.credit[:200],
        is_cover=is_cover,
    )


def _image_file(data: bytes) -> ContentFile:
    """The bytes as an upload named by the format Pillow finds in them, checked like any
    upload (size, pixels, format)."""
    from PIL import Image as PILImage  # imported by an import, not by every web worker

    try:
        with PILImage.open(io.BytesIO(data), formats=images.ACCEPTED_FORMATS) as opened:
            image_format = opened.format
    except (OSError, SyntaxError, ValueError, EOFError) as err:
        raise ValidationError(images.NOT_AN_IMAGE) from err
    file = ContentFile(data, name=f"import.{images.ALLOWED_EXTENSIONS[image_format][0]}")
    images.validate_image_upload(file)
    return file


def _message(err: Exception) -> str:
    if isinstance(err, ValidationError):
        return " ".join(err.messages)
    return str(err)
