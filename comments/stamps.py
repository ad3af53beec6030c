"""The comment form's stamp: when this visitor's form was handed out, usable once.

Post pages are cached whole for PAGE_CACHE_SECONDS and shared by every anonymous visitor,
so their form's signed timestamp is the same for everyone and says when the *page* was
rendered, not when the reader started writing: the minimum-time check meant nothing there,
and a captured form could be replayed for two hours. The stamp is fetched per visitor by the
form's script (`stamp` view, same-origin POST, rate-limited) when the reader starts
writing; it is signed, lives COMMENTS_FORM_STAMP_MAX_AGE seconds, must be at least
COMMENTS_MIN_SUBMIT_SECONDS old when the comment arrives, and its nonce is spent in the
shared cache on first use. Without the script, the first submit comes back as a page with the
reader's text and a fresh stamp ("press Post comment once more").
"""

import secrets

from django.conf import settings
from django.core.cache import cache

from core.tokens import BadToken, Expired, Signed

FORM_STAMP = Signed("comments.form-stamp", objects=True)


def new_stamp(post) -> str:
    return FORM_STAMP.sign({"p": post.pk, "n": secrets.token_urlsafe(12)})


def stamp_problem(token: str, post) -> str | None:
    """Why this stamp cannot carry a comment on `post` (None: it can, and is now spent)."""
    if not token:
        return "missing"
    max_age = settings.COMMENTS_FORM_STAMP_MAX_AGE
    try:
        payload = FORM_STAMP.read(token, max_age=max_age)
    except Expired:
        return "expired"
    except BadToken:
        return "invalid"
    if not isinstance(payload, dict) or payload.get("p") != post.pk:
        return "invalid"
    minimum = settings.COMMENTS_MIN_SUBMIT_SECONDS
    if minimum and not FORM_STAMP.is_older_than(token, minimum):
        return "too quick"
    if not cache.add(f"comments:stamp:{payload.get('n')}", 1, max_age + 60):
        return "used"
    return None
