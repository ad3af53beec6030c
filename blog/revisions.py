"""Revisions of a post's title and text: made, kept within bounds, compared and restored.

Autosave writes revisions only, never the post: a published post's live text changes when the
writer saves, not while they type. Autosaves within `AUTOSAVE_COALESCE_SECONDS` of the one
before are folded into it, so a long session leaves one revision a minute rather than one
every few seconds, and a post keeps its latest `KEEP_REVISIONS`.
"""

import datetime
import difflib
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from blog.models import Post, PostRevision

AUTOSAVE_COALESCE_SECONDS = 60
KEEP_REVISIONS = 50


def revisions_of(post: Post | None, author):
    """A post's revisions; for a post not saved yet, the writer's own revisions of new text."""
    if post is None:
        return PostRevision.objects.filter(post=None, author=author)
    return post.revisions.all()


def autosave(post: Post | None, *, title: str, body: str, author, continuing="", now=None):
    """Keep what the writer is typing as a revision; None when nothing changed.

    `post` is None on the page of a post not saved yet: the revision then belongs to the
    writer until the post is saved (`attach_new_text`), and that page's own earlier revision
    (`continuing`) is the one it may fold into, never another page's. Unchanged text (the same
    as the post, or as the latest revision) makes no revision.
    """
    now = now or timezone.now()
    with transaction.atomic():
        if post is None:
            latest = new_text(author, continuing)
        else:
            latest = post.revisions.select_for_update().first()
        if latest is not None and (latest.title, latest.body) == (title, body):
            return None
        if latest is None and post is not None and (post.title, post.body) == (title, body):
            return None
        if latest is None and post is None and not (title.strip() or body.strip()):
            return None
        if (
            latest is not None
            and latest.kind == PostRevision.Kind.AUTOSAVE
            and latest.author_id == getattr(author, "pk", None)
            and latest.created > now - datetime.timedelta(seconds=AUTOSAVE_COALESCE_SECONDS)
        ):
            latest.title, latest.body, latest.updated = title, body, now
            latest.save(update_fields=["title", "body", "updated"])
            return latest
        return record(
            post, title=title, body=body, author=author, kind=PostRevision.Kind.AUTOSAVE, now=now
        )


def record(post: Post | None, *, title: str, body: str, author, kind: str, now=None):
    """A new revision, then the oldest ones beyond `KEEP_REVISIONS` go."""
    now = now or timezone.now()
    revision = PostRevision.objects.create(
        post=post, title=title, body=body, author=author, kind=kind, created=now, updated=now
    )
    stale = revisions_of(post, author).values_list("pk", flat=True)[KEEP_REVISIONS:]
    PostRevision.objects.filter(pk__in=list(stale)).delete()
    return revision


def new_text(author, pk) -> PostRevision | None:
    """One of the writer's revisions of a post not saved yet."""
    if not str(pk).isdigit():
        return None
    return revisions_of(None, author).filter(pk=pk).first()


def attach_new_text(post: Post, author, pk) -> None:
    """The post was saved for the first time: the revision its page autosaved becomes its own."""
    if (revision := new_text(author, pk)) is not None:
        revision.post = post
        revision.save(update_fields=["post"])


def record_saved(post: Post, author) -> PostRevision | None:
    """The text as just saved to the post, unless the latest revision already holds it."""
    latest = post.revisions.first()
    if latest is not None and (latest.title, latest.body) == (post.title, post.body):
        return None
    return record(
        post, title=post.title, body=post.body, author=author, kind=PostRevision.Kind.SAVED
    )


def restore(revision: PostRevision, *, author) -> bool:
    """Put a revision's text back, keeping the text it replaces as a revision first.

    A draft takes the text at once. A post readers can see (or that is scheduled) is left as
    it is: the caller puts the revision into the editor, and the writer saves it when ready.
    Returns whether the post itself was changed.
    """
    post = revision.post
    with transaction.atomic():
        latest = post.revisions.first()
        if latest is None or (latest.title, latest.body) != (post.title, post.body):
            record(
                post,
                title=post.title,
                body=post.body,
                author=author,
                kind=PostRevision.Kind.BEFORE_RESTORE,
            )
        if post.status != Post.Status.DRAFT:
            return False
        post.title, post.body = revision.title or post.title, revision.body
        post.save()
    return True


@dataclass(frozen=True)
class DiffLine:
    """One paragraph of a comparison: `kind` is "same", "removed" or "added"; `parts` are
    (changed, text) pairs so changed words can be marked inside a changed paragraph."""

    kind: str
    parts: tuple[tuple[bool, str], ...]


def compare(old: str, new: str) -> list[DiffLine]:
    """Paragraph-by-paragraph differences from `old` to `new`, with changed words marked.

    The text is returned as plain strings; the template escapes it, so nothing in a revision
    can become markup on the compare page.
    """
    old_lines, new_lines = _lines(old), _lines(new)
    lines: list[DiffLine] = []
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            lines += [DiffLine("same", ((False, line),)) for line in old_lines[i1:i2]]
            continue
        removed, added = old_lines[i1:i2], new_lines[j1:j2]
        # Paragraphs replaced in order are shown word by word; the rest whole.
        paired = min(len(removed), len(added))
        for before, after in zip(removed[:paired], added[:paired], strict=True):
            old_parts, new_parts = _word_diff(before, after)
            lines += [DiffLine("removed", old_parts), DiffLine("added", new_parts)]
        lines += [DiffLine("removed", ((True, line),)) for line in removed[paired:]]
        lines += [DiffLine("added", ((True, line),)) for line in added[paired:]]
    return lines


def _lines(text: str) -> list[str]:
    return [line for line in text.replace("\r\n", "\n").split("\n") if line.strip()]


def _word_diff(before: str, after: str):
    old_words, new_words = before.split(" "), after.split(" ")
    old_parts: list[tuple[bool, str]] = []
    new_parts: list[tuple[bool, str]] = []
    matcher = difflib.SequenceMatcher(a=old_words, b=new_words, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        changed = tag != "equal"
        if i2 > i1:
            old_parts.append((changed, " ".join(old_words[i1:i2])))
        if j2 > j1:
            new_parts.append((changed, " ".join(new_words[j1:j2])))
    return tuple(_spaced(old_parts)), tuple(_spaced(new_parts))


def _spaced(parts):
    """Put back the space between consecutive runs of words."""
    for index, (changed, text) in enumerate(parts):
        yield changed, text if index == len(parts) - 1 else text + " "
