"""Signed, expiring links that show a draft to someone without an account.

The token carries only the post's id and the time it was made, signed with SECRET_KEY (old
links survive a key rotation through SECRET_KEY_FALLBACKS). It stops working after
PREVIEW_LINK_MAX_AGE, or as soon as the author changes the post's slug.
"""

from django.conf import settings
from django.urls import reverse

from core.tokens import BadToken, Signed

PREVIEW = Signed("blog.preview", objects=True)


def make_preview_token(post) -> str:
    return PREVIEW.sign({"id": post.pk, "slug": post.slug})


def preview_url(post) -> str:
    return reverse("blog:post-preview", kwargs={"token": make_preview_token(post)})


def read_preview_token(token: str) -> dict | None:
    """The signed payload, or None when the link was altered or has expired."""
    try:
        return PREVIEW.read(token, max_age=settings.PREVIEW_LINK_MAX_AGE)
    except BadToken:
        return None
