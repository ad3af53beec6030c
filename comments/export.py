"""The comments' part of the site archive (core.transfer.export): `comments.json`.

Every comment on a post, in thread order, with its parent, so a restore rebuilds the threads,
and its state (public, held for moderation, removed). What a commenter gave the site to take
part comes along, because the writer keeps the relationship with their readers: the name, the
address (their follow-up notifications need it) and the link they typed. What was only ever
for the site's own defence stays behind: the IP address, who flagged or liked a comment, and
comments never confirmed by their writer (still waiting in `PendingComment`). A comment its
writer deleted is a placeholder with no text, as it is on the page.
"""

from blog.models import Post
from comments.models import Comment
from core.transfer import export

README = """\
`comments.json`: every comment on a post, parents before their replies (`thread` and
  `order` give the order on the page, `parent` is null at the top of a thread, `id` is the
  number in the comment's permalink, `#c<id>`), with the post's
  slug, the commenter's name, email address and link, the text as written (Markdown), when it
  was written, published and edited, its `state` (`public`, `held` for moderation, or
  `removed`; a comment its writer deleted has no text left), whether the commenter asked for
  replies by email (`followup`), the like and dislike counts, and `by_post_author` when the
  post's writer wrote it. No IP address, no flags or reactions by reader, no reader account,
  no comment that was never confirmed."""


def state(comment: Comment) -> str:
    if comment.is_removed:
        return "removed"
    return "public" if comment.is_public else "held"


def comment_data(comment: Comment, post: Post) -> dict:
    return {
        "id": comment.pk,
        "parent": None if comment.parent_id in (0, comment.pk) else comment.parent_id,
        "thread": comment.thread_id,
        "level": comment.level,
        "order": comment.order,
        "nested_count": comment.nested_count,
        "post": post.slug,
        "name": comment.user_name,
        "email": comment.user_email,
        "url": comment.user_url,
        "by_post_author": comment.user_id is not None and comment.user_id == post.author_id,
        "body": comment.comment,
        "submitted_at": export.timestamp(comment.submit_date),
        "published_at": export.timestamp(comment.published_at),
        "edited_at": export.timestamp(comment.edited_at),
        "state": state(comment),
        "followup": comment.followup,
        "like_count": comment.like_count,
        "dislike_count": comment.dislike_count,
    }


def write_comments(writer: export.ArchiveWriter) -> None:
    posts = {str(post.pk): post for post in Post.objects.only("pk", "slug", "author_id")}
    comments = Comment.objects.on_posts().order_by("thread_id", "order", "pk").select_related(None)
    rows = [
        comment_data(comment, posts[comment.object_pk])
        for comment in comments.iterator(chunk_size=2000)
        if comment.object_pk in posts
    ]
    writer.add_json("comments.json", {"comments": rows})
    writer.count("comments", len(rows))


def register() -> None:
    export.register("comments", write=write_comments, readme=README)
