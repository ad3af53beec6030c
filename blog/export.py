"""The blog's part of the site archive (core.transfer.export): posts, tags, authors, images.

Each post is written twice: `posts/<date>-<slug>.md`, its Markdown with front matter for people
and static-site tools, and `posts/<date>-<slug>.json` with every field, which the archive's
importer reads. Images are copied from the configured storage under `media/`, at the names the
bodies already link to, so the restored pages print the same addresses.

Authors are named by their profile (display name, bio, photo), never by login name or email:
an account and its password stay with the install they belong to.
"""

from django.db.models import Prefetch
from django.utils import timezone

from blog.models import AuthorProfile, Image, Post, Tag
from core.transfer import export
from core.transfer.frontmatter import front_matter

README = """\
`posts/<date>-<slug>.md` and `posts/<date>-<slug>.json`: each post (drafts and scheduled
  ones too), `<date>` being its publication date (or creation date, for a draft) in the site's
  time zone. The `.md` file is the post's Markdown source under a front matter of quoted
  strings (title, slug, kind, status, date, updated, tags, excerpt, old slugs, feature image);
  the `.json` file has every field: the rendered HTML, old slugs (addresses that answer with a
  301), images (with alt text, caption, credit, and which one is the cover), cited sources and
  dated corrections. `site.json` adds `authors` (display name, bio and photo of each writer,
  never a login name, email or password) and `tags` (name, slug, description).
  `media/uploads/...`: the images and photos as stored (metadata already stripped), at the
  paths the posts link to; renditions are left out, an install cuts them again."""


def post_file_stem(post: Post) -> str:
    when = timezone.localtime(post.publish_at or post.created_at)
    return f"posts/{when:%Y-%m-%d}-{post.slug}"


def _image(writer: export.ArchiveWriter, image: Image) -> dict:
    return {
        "id": image.pk,
        "file": writer.add_media(image.file.name),
        "stored_name": image.file.name,
        "alt_text": image.alt_text,
        "caption": image.caption,
        "credit": image.credit,
        "is_cover": image.is_cover,
        "width": image.width,
        "height": image.height,
        "uploaded_at": export.timestamp(image.uploaded_at),
    }


def post_data(writer: export.ArchiveWriter, post: Post) -> dict:
    images = [_image(writer, image) for image in post.images.all()]
    return {
        "id": post.pk,
        "title": post.title,
        "slug": post.slug,
        "url": post.get_absolute_url(),
        "kind": post.kind,
        "status": post.status,
        "state": post.state_label.lower(),
        "standfirst": post.standfirst,
        "body": post.body,
        "body_html": post.body_html,
        "publish_at": export.timestamp(post.publish_at),
        "created_at": export.timestamp(post.created_at),
        "updated_at": export.timestamp(post.updated_at),
        "featured": post.featured,
        "comments_open": post.comments_open,
        "is_demo": post.is_demo,
        "reading_minutes": post.reading_minutes,
        "last_public_slug": post.last_public_slug,
        "author": {"id": post.author_id, "display_name": post.author_name},
        "tags": [tag.slug for tag in post.tags.all()],
        "old_slugs": [
            {"slug": old.slug, "retired_at": export.timestamp(old.retired_at)}
            for old in post.old_slugs.all()
        ],
        "images": images,
        "sources": [
            {
                "position": source.position,
                "publisher": source.publisher,
                "title": source.title,
                "url": source.url,
            }
            for source in post.sources.all()
        ],
        "corrections": [
            {"noted_at": export.timestamp(correction.noted_at), "note": correction.note}
            for correction in post.corrections.all()
        ],
    }


def post_markdown(post: Post, data: dict) -> str:
    cover = next((image for image in data["images"] if image["is_cover"]), None)
    fields = {
        "title": post.title,
        "slug": post.slug,
        "kind": post.kind,
        "status": data["state"],
        "date": data["publish_at"],
        "created": data["created_at"],
        "updated": data["updated_at"],
        "author": post.author_name,
        "tags": [tag.name for tag in post.tags.all()],
        "excerpt": post.standfirst,
        "old_slugs": [old["slug"] for old in data["old_slugs"]],
        "feature_image": cover["file"] if cover else None,
        "feature_image_alt": cover["alt_text"] if cover else None,
        "featured": post.featured,
        "comments_open": post.comments_open,
    }
    return front_matter(fields) + "\n" + post.body.rstrip("\n") + "\n"


def write_posts(writer: export.ArchiveWriter) -> None:
    posts = (
        Post.objects.order_by("pk")
        .select_related("author__profile")
        .prefetch_related(
            Prefetch("tags", queryset=Tag.objects.order_by("name")),
            "old_slugs",
            Prefetch("images", queryset=Image.objects.order_by("pk")),
            "sources",
            "corrections",
        )
    )
    for post in posts.iterator(chunk_size=200):
        data = post_data(writer, post)
        stem = post_file_stem(post)
        writer.add_text(f"{stem}.md", post_markdown(post, data))
        writer.add_json(f"{stem}.json", data)
        writer.count("posts", 1)

    writer.site["tags"] = [
        {"name": tag.name, "slug": tag.slug, "description": tag.description, "is_demo": tag.is_demo}
        for tag in Tag.objects.order_by("name")
    ]
    writer.site["authors"] = [
        {
            "id": profile.user_id,
            "display_name": profile.display_name,
            "bio": profile.bio,
            "photo": writer.add_media(profile.photo.name) if profile.photo else None,
            "photo_alt": profile.photo_alt,
            "is_demo": profile.is_demo,
        }
        for profile in AuthorProfile.objects.order_by("pk")
    ]
    writer.count("tags", len(writer.site["tags"]))


def register() -> None:
    export.register("posts", write=write_posts, readme=README)
