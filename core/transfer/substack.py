"""Substack's export (Settings → Exports: one zip).

What the zip holds, as Substack writes it and as the migration tools that read it
(Ghost's `@tryghost/mg-substack`, public dbt models of the export) describe it:

- `posts.csv`: `post_id` (the number, a dot, then the slug: "123456.my-first-post"),
  `post_date` (ISO 8601), `is_published` (true/false), `email_sent_at`, `inbox_sent_at`,
  `type` (newsletter, podcast, thread, page), `audience` (everyone, only_paid...), `title`,
  `subtitle`, `podcast_url`. We require `post_id`, `title` and `is_published`.
- `posts/<post_id>.html`: each post's body (HTML, no page around it).
- `email_list.<publication>.csv`: `email` (required), `active_subscription` (a paid plan,
  true/false), `expiry`, `plan`, `email_disabled` (true: Substack no longer mails the
  address), `created_at`, `first_payment_at`.

Images stay on Substack's CDN (they are not in the zip), so they remain links and the
report lists them. A post's old address is `/p/<slug>`. Substack has comments, but the
export does not hold them.
"""

from core.transfer import cells, html
from core.transfer.bundle import Bundle, csv_rows
from core.transfer.document import Document, Image, Post, Subscriber, UnreadableExport

POST_COLUMNS = {"post_id", "title", "is_published"}


def parse(bundle: Bundle) -> Document:
    document = Document(platform="substack")
    posts_csv = bundle.find(name="posts.csv")
    lists = [name for name in bundle.find(suffix=".csv") if "email_list" in name.lower()]
    if not posts_csv and not lists:
        raise UnreadableExport(
            "No Substack export found: the zip should hold posts.csv and an email_list CSV."
        )
    if posts_csv:
        _read_posts(bundle, posts_csv[0], document)
    for name in lists:
        _read_subscribers(bundle, name, document)
    return document


def _read_posts(bundle: Bundle, name: str, document: Document) -> None:
    folder = name.rpartition("/")[0]
    prefix = f"{folder}/posts/" if folder else "posts/"
    for row in csv_rows(bundle, name, required=POST_COLUMNS):
        post_id = row["post_id"]
        number, _, slug = post_id.partition(".")
        title = row["title"] or f"Untitled ({number})"
        member = prefix + post_id + ".html"
        if member not in bundle.names():
            document.warnings.append(f"{title!r} has no HTML file ({member}): left out.")
            continue
        try:
            body = html.clean(bundle.read(member).decode("utf-8"))
        except UnicodeDecodeError:
            document.warnings.append(f"{member} is not UTF-8 text: {title!r} left out.")
            continue
        if row.get("type") not in ("", None, "newsletter", "page"):
            document.warnings.append(
                f"{title!r} is a Substack {row['type']}: its text is imported, not its media."
            )
        document.posts.append(
            Post(
                source_id=number,
                title=title,
                slug=slug,
                body=body,
                body_format="html",
                excerpt=row.get("subtitle", ""),
                status="published" if cells.yes(row["is_published"]) else "draft",
                published_at=cells.date(row.get("post_date")),
                images=[Image(source=src) for src in html.image_sources(body)],
                old_urls=[f"/p/{slug}"] if slug else [],
            )
        )


def _read_subscribers(bundle: Bundle, name: str, document: Document) -> None:
    for row in csv_rows(bundle, name, required={"email"}):
        document.subscribers.append(
            Subscriber(
                email=row["email"],
                status="suppressed" if cells.yes(row.get("email_disabled", "")) else "subscribed",
                source_id=row["email"].lower(),
                subscribed_at=cells.date(row.get("created_at")),
                consent_source="Substack subscriber export",
            )
        )
