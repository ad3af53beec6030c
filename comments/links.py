"""The links we email about comments: "publish my comment" and "stop reply emails".

django-comments-xtd signs a *pickle* of the pending comment into both links, so whoever
learns SECRET_KEY can make a link that runs code on the server when it is opened. Ours are
signed JSON (`core.tokens.Signed`): a stamped, salted token per purpose, checked against
SECRET_KEY and SECRET_KEY_FALLBACKS (links survive a key rotation), with a maximum age:

- confirmation: COMMENTS_CONFIRMATION_MAX_AGE_DAYS, and used once (the comment it creates
  is found again on a second use; a deleted comment is not brought back). The token names a
  `PendingComment` row holding the comment, so the link is one short line in the email
  whatever the comment's length; tokens sent before that carried the comment itself and are
  still read until they expire;
- mute: COMMENTS_MUTE_LINK_MAX_AGE_DAYS; muting twice is harmless, so it is not single-use.

Links in the old pickle format, sent before this change, are **never unpickled**, not even
after checking their signature: a pickle cannot be read without running it, and reading its
opcodes by hand is a parser we would have to trust. Their signature is checked (HMAC only)
so that a genuine old link gets a page that says what to do instead of "not found": write
the comment again (a confirmation link lived 3 days anyway), or use the mute link of the
next reply email. See the README's Comments section.
"""

import base64
import datetime
import hashlib
import hmac
import secrets
from types import SimpleNamespace

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django_comments_xtd.models import TmpXtdComment

from blog.models import Post
from comments.models import Comment, PendingComment
from core import identity
from core.mail import subject_line, templated_message
from core.tokens import Signed

CONFIRM_LINK = Signed("comments.confirm", objects=True)
MUTE_LINK = Signed("comments.mute", objects=True)

# What a pending comment carries through the confirmation link, as short JSON keys.
PENDING_FIELDS = {
    "o": "object_pk",
    "n": "user_name",
    "e": "user_email",
    "u": "user_url",
    "c": "comment",
    "s": "site_id",
    "p": "is_public",
    "r": "parent_id",
    "f": "followup",
    "nl": "newsletter_optin",
    "ip": "ip_address",
}


def confirmation_max_age() -> float:
    return datetime.timedelta(days=settings.COMMENTS_CONFIRMATION_MAX_AGE_DAYS).total_seconds()


def mute_max_age() -> float:
    return datetime.timedelta(days=settings.COMMENTS_MUTE_LINK_MAX_AGE_DAYS).total_seconds()


def confirmation_token(pending) -> str:
    """The signed "publish my comment" token for a pending (not yet stored) comment."""
    payload = {key: pending.get(name) for key, name in PENDING_FIELDS.items()}
    payload["ct"] = ".".join(pending["content_type"].natural_key())
    payload["d"] = pending["submit_date"].isoformat()
    row = PendingComment.objects.create(key=secrets.token_urlsafe(16), payload=payload)
    return CONFIRM_LINK.sign({"k": row.key})


def _pending_payload(token: str, *, max_age: float | None):
    """What the token stands for: its row's comment, or (older links) the comment it carries."""
    payload = CONFIRM_LINK.read(token, max_age=max_age)
    if isinstance(payload, dict) and set(payload) == {"k"}:
        row = PendingComment.objects.filter(key=str(payload["k"])).first()
        return row.payload if row is not None else None
    return payload


def forget_expired_pending_comments(*, now: datetime.datetime) -> int:
    """Comments whose confirmation link has expired can no longer be published: they go."""
    cutoff = now - datetime.timedelta(seconds=confirmation_max_age() + 3600)
    deleted, _ = PendingComment.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def read_confirmation(token: str, *, expired_ok: bool = False) -> TmpXtdComment | None:
    """The pending comment a confirmation token carries; raises `core.tokens.BadToken`.

    None when the token is ours but its post is no longer published. `expired_ok` reads an
    expired token too (to say where the comment was meant to go, never to publish it).
    """
    max_age = None if expired_ok else confirmation_max_age()
    payload = _pending_payload(token, max_age=max_age)
    if not isinstance(payload, dict) or payload.get("ct") != "blog.post":
        return None
    post = Post.objects.published().filter(pk=_int(payload.get("o"))).first()
    submit_date = parse_datetime(str(payload.get("d", "")))
    if post is None or submit_date is None:
        return None
    pending = TmpXtdComment(
        {name: payload.get(key) for key, name in PENDING_FIELDS.items()},
    )
    pending.update(
        content_type=ContentType.objects.get_for_model(Post),
        content_object=post,
        object_pk=str(post.pk),
        submit_date=submit_date,
        user_url=pending.user_url or "",
        parent_id=_int(pending.parent_id) or 0,
        is_public=bool(pending.is_public),
        is_removed=False,
        followup=bool(pending.followup),
        newsletter_optin=bool(pending.newsletter_optin),
        thread_id=0,
        level=0,
        order=1,
    )
    return pending


def _int(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**31 else None


def claim_confirmation(token: str) -> bool:
    """True the first time a confirmation token is spent (remembered until it expires)."""
    digest = hashlib.sha256(token.encode()).hexdigest()[:32]
    return cache.add(f"comments:confirmed:{digest}", 1, int(confirmation_max_age()) + 60)


def existing_comment(pending) -> Comment | None:
    """The comment a confirmation link already created (xtd's own rule: same author, date)."""
    return Comment.objects.filter(
        user_name=pending.user_name,
        user_email=pending.user_email,
        submit_date=pending.submit_date,
    ).first()


def named_site(site) -> SimpleNamespace:
    """xtd's `site` for its mail templates, named as the writer named the site in the admin."""
    return SimpleNamespace(name=identity.current().site_name, domain=site.domain)


def send_confirmation_request(pending, *, site) -> None:
    """xtd's confirmation mail, with our signed JSON link instead of its pickle, and our
    subject instead of xtd's "comment confirmation request" (core.mail.subject_line)."""
    token = confirmation_token(pending)
    context = {
        "comment": pending,
        "confirmation_url": reverse("comments-xtd-confirm", args=[token]),
        # Replies reach the writer (Site identity), never a noreply address.
        "contact": identity.current().reply_to_address or settings.COMMENTS_XTD_CONTACT_EMAIL,
        "site": named_site(site),
    }
    templated_message(
        template="django_comments_xtd/email_confirmation_request",
        subject=subject_line(f"Confirm your comment on “{pending.content_object.title}”"),
        to=[pending.user_email],
        context=context,
    ).send()


def mute_token(*, post_pk, email: str) -> str:
    return MUTE_LINK.sign({"ct": "blog.post", "o": str(post_pk), "e": email})


def read_mute(token: str) -> tuple[Post, str] | None:
    """(post, address) a mute token is for; raises `core.tokens.BadToken`; None if unpublished."""
    payload = MUTE_LINK.read(token, max_age=mute_max_age())
    if not isinstance(payload, dict) or payload.get("ct") != "blog.post":
        return None
    post = Post.objects.published().filter(pk=_int(payload.get("o"))).first()
    email = payload.get("e")
    if post is None or not isinstance(email, str):
        return None
    return post, email


def mute(*, post, email: str) -> int:
    """Stop follow-up emails about `post` to `email`; how many comments were following."""
    return (
        Comment.objects.for_object(post)
        .filter(user_email=email, followup=True)
        .update(followup=False)
    )


def notify_comment_followers(comment) -> None:
    """xtd's follow-up mail (one per following address), with our signed mute links and our
    subject instead of xtd's "new comment posted"."""
    post = comment.content_object
    followers = {}
    earlier = (
        Comment.objects.for_object(post)
        .public()
        .filter(followup=True)
        .exclude(user_email=comment.user_email)
        .order_by("pk")
        .values_list("user_email", "user_name")
    )
    for email, name in earlier:
        followers.setdefault(email, name)
    subject = subject_line(f"New reply on “{post.title}”")
    for email, name in followers.items():
        context = {
            "user_name": name,
            "comment": comment,
            "content_object": post,
            "mute_url": reverse(
                "comments-xtd-mute", args=[mute_token(post_pk=post.pk, email=email)]
            ),
            "site": named_site(comment.site),
        }
        templated_message(
            template="django_comments_xtd/email_followup_comment",
            subject=subject,
            to=[email],
            context=context,
        ).send()


def is_legacy_link(key: str) -> bool:
    """An xtd pickle link ("<base64>.<sha1>"): ours always contain ":"."""
    return ":" not in key and "." in key


def is_genuine_legacy_link(key: str) -> bool:
    """The old link's HMAC is ours (current or fallback key). Nothing is unpickled."""
    value, _, signature = key.encode("utf-8", "replace").rpartition(b".")
    keys = [(settings.SECRET_KEY, settings.COMMENTS_XTD_SALT)] + [
        # COMMENTS_XTD_SALT as config/settings/base.py derived it from the older key.
        (secret, hashlib.sha256(f"comments-xtd:{secret}".encode()).digest())
        for secret in settings.SECRET_KEY_FALLBACKS
    ]
    for secret, salt in keys:
        digest = hmac.new(secret.encode() + salt, value, hashlib.sha1).digest()
        expected = base64.urlsafe_b64encode(digest).strip(b"=")
        if hmac.compare_digest(expected, signature):
            return True
    return False
