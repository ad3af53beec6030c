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

from django.conf import settings

from core.stamps import FormStamps, Refusal

FORM_STAMPS = FormStamps("comments.form-stamp")


def new_stamp(post) -> str:
    return FORM_STAMPS.make(p=post.pk)


def stamp_problem(token: str, post) -> str | None:
    """Why this stamp cannot carry a comment on `post` (None: it can, and is now spent)."""
    max_age = settings.COMMENTS_FORM_STAMP_MAX_AGE
    refusal = FORM_STAMPS.refusal(
        token, max_age=max_age, min_age=settings.COMMENTS_MIN_SUBMIT_SECONDS, p=post.pk
    )
    if refusal is not None:
        return str(refusal)
    if not FORM_STAMPS.claim(token, max_age=max_age):
        return str(Refusal.USED)
    return None
