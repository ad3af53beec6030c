"""Posting and confirming comments, and the reply page: our layer around django-comments-xtd.

The comment form lives on cached public pages, so it carries no CSRF token: the posting
endpoint accepts same-origin POSTs only (`core.origin.same_origin_post`) and relies on
the form's signed timestamp. Everything before the comment reaches xtd (closed posts, rate
limits, tampering, spam timing, duplicates, confirmation mail limits) answers with a page a
reader understands, or JSON for the script; xtd then runs its own flow unchanged.
"""

from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.middleware.csrf import get_token
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django_comments.views.comments import post_comment as xtd_post_comment
from django_comments_xtd import views as xtd_views
from django_comments_xtd.models import TmpXtdComment
from django_comments_xtd.signals import confirmation_received

from blog.models import Post, public_name
from comments import links, notifications, stamps, throttle
from comments.forms import CommentForm
from comments.models import Comment
from comments.moderation import comments_are_open
from comments.threads import editable_until, load_threads, render_context
from comments.views.base import refuse, refuse_closed, signed_in
from comments.views.own import change_url, may_still_change
from core.origin import same_origin_post, wants_json
from core.seo import noindex
from core.tokens import BadToken, Expired


def post_of(data) -> Post | None:
    """The published post a form was sent for, or None."""
    if data.get("content_type") != "blog.post":
        return None
    try:
        return Post.objects.published().select_related("author").get(pk=data.get("object_pk"))
    except (Post.DoesNotExist, ValueError, TypeError):
        return None


def find_duplicate(form, post) -> Comment | None:
    """The same text from the same address, stored today on this post: a double submit or
    a reader resending after a slow answer gets the first comment back, not a second one.

    django-contrib-comments' own duplicate check cannot see xtd's temporary comments.
    """
    data = form.cleaned_data
    return (
        Comment.objects.for_object(post)
        .filter(
            user_email__iexact=data["email"],
            comment=data["comment"],
            submit_date__date=timezone.now().date(),
            is_removed=False,
        )
        .order_by("pk")
        .first()
    )


@noindex
@same_origin_post
@require_POST
def post_comment(request):
    """Check a comment in terms a reader understands, then hand it to xtd's own flow.

    Whatever is refused after the form was read comes back with the reader's text in it.
    """
    data = request.POST.copy()
    post = post_of(data)
    if post is None:
        return refuse(
            request,
            title="We could not find that post",
            message="The post you wrote about is not published (any more).",
            status=404,
        )
    if not comments_are_open(post):
        return refuse_closed(request, post)
    user = request.user if signed_in(request) else None
    if user is not None:
        # A signed-in reader comments under the identity they proved, never a typed address.
        data["name"] = public_name(user)
        data["email"] = user.email
        data["url"] = ""
    form = CommentForm(post, data=data)
    if not throttle.allow_attempt(request):
        return refuse_too_many(request, form=form, post=post, retry_after=60, by_you=False)
    refusal = refuse_form(request, form, post)
    if refusal is not None:
        return refusal
    problem = stamps.stamp_problem(form.cleaned_data["stamp"], post)
    if problem is not None:
        return refuse_stamp(request, form=form, post=post, problem=problem)
    reply_to = form.cleaned_data["reply_to"]
    if reply_to and reply_target(post, reply_to) is None:
        # Kept as a new comment on the post: one press sends it there.
        data["reply_to"] = "0"
        return refuse(
            request,
            title="We could not post this reply",
            message="The comment you are replying to is no longer shown on this post, or "
            "takes no more replies. Your text is below: you can post it as a new comment.",
            status=400,
            post=post,
            form=form,
            stamp=stamps.new_stamp(post),
        )
    if user is not None:
        duplicate = find_duplicate(form, post)
        if duplicate is not None:
            return posted_response(request, post=post, comment=duplicate)
    # Counted only now: a form sent back for one more press uses up nothing.
    limited = throttle.take_comment(request, user=user, email=form.cleaned_data["email"])
    if limited is not None:
        limit, wait = limited
        return refuse_too_many(
            request, form=form, post=post, retry_after=wait, by_you=throttle.by_commenter(limit)
        )
    if user is None and not throttle.claim_confirmation(form.cleaned_data["email"]):
        return refuse(
            request,
            title="Please check your email first",
            message="We already sent a link to this address to publish an earlier comment. "
            "Follow that link, then press “Post comment” again (or wait a day). "
            "Your text is below.",
            status=429,
            post=post,
            form=form,
            stamp=stamps.new_stamp(post),
        )
    if user is None and find_duplicate(form, post) is not None:
        # Anyone can type any address: answering "published" here would tell a stranger
        # that this address wrote this comment. The same answer as a new comment, no mail.
        return posted_response(request, post=post, comment=None)
    request.POST = data
    return hand_to_xtd(request, post)


STAMP_MESSAGES = {
    "missing": "To keep out automated spam, please press “Post comment” once more.",
    "expired": "The form was open for a long time. Please press “Post comment” once more.",
    "too quick": "That was quicker than anyone types. Please press “Post comment” once more.",
    "used": "This form was already sent once. Please press “Post comment” once more.",
    "invalid": "The form was altered. Please press “Post comment” once more.",
}


def refuse_stamp(request, *, form, post, problem):
    """The form comes back filled in, with a fresh stamp: one more press sends it."""
    return refuse(
        request,
        title="One more step",
        message=STAMP_MESSAGES[problem],
        status=400,
        post=post,
        form=form,
        stamp=stamps.new_stamp(post),
    )


@same_origin_post
@require_POST
def stamp(request):
    """A fresh form stamp for the comment form's script (comments.stamps), as JSON."""
    post = post_of(request.POST)
    if post is None or not comments_are_open(post):
        raise Http404("No open post.")
    if not throttle.allow_stamp(request):
        return JsonResponse({"ok": False}, status=429, headers={"Retry-After": "60"})
    response = JsonResponse({"ok": True, "stamp": stamps.new_stamp(post)})
    add_never_cache_headers(response)
    return response


def wait_in_words(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = round(seconds / 60)
    return f"{minutes} minutes"


def refuse_too_many(request, *, form, post, retry_after: int, by_you: bool):
    """More comments than a conversation needs: the form comes back with the text in it.

    429 with Retry-After, as a page without JavaScript and as JSON for the script; a fresh
    stamp comes with it (the refused form's was spent), so one press sends it later.
    """
    if by_you:
        why = "You have posted several comments in a short time."
    else:
        why = "Many comments came from your network (your home or office) in a short time."
    return refuse(
        request,
        title="Please wait a moment",
        message=f"{why} To keep floods of spam out, please wait about "
        f"{wait_in_words(retry_after)}, then press “Post comment” again. "
        "Your text is kept.",
        status=429,
        post=post,
        form=form,
        stamp=stamps.new_stamp(post),
        retry_after=retry_after,
    )


def refuse_form(request, form, post):
    """The refusal for a tampered, hurried, stale or invalid form; None for a good one."""
    if form.security_errors():
        return refuse(
            request,
            title="We could not accept this comment",
            message="The form was altered, sent too quickly, or is more than two hours old. "
            "Reload the page, then write your comment again.",
            status=400,
            post=post,
        )
    if not form.is_valid():
        return refuse(
            request,
            title="Please check your comment",
            message="Some fields need your attention.",
            status=400,
            post=post,
            form=form,
        )
    return None


def hand_to_xtd(request, post):
    """xtd's posting view (moderator rules, confirmation mail or storing), then our answer."""
    response = xtd_post_comment(request, next=reverse("comments:posted"))
    if response.status_code != 302:
        # A moderator rule (closed, blocked domain) or a last xtd check refused it.
        return refuse(
            request,
            title="We could not accept this comment",
            message="This comment cannot be published here.",
            status=400 if response.status_code < 400 else response.status_code,
            post=post,
        )
    key = parse_qs(urlsplit(response["Location"]).query).get("c", [""])[0]
    comment = Comment.objects.filter(pk=key).first() if key.isdigit() else None
    return posted_response(request, post=post, comment=comment)


def posted_response(request, *, post, comment):
    """After posting: where the no-script browser goes, or what the script shows."""
    if comment is not None:
        comment.show_on(post)
    if comment is None:
        state, message = "confirm", "Check your email to publish your comment."
    elif comment.is_visible:
        state, message = "published", "Your comment is published."
    else:
        state, message = "held", "Thank you. Your comment will appear once the author approves it."
    if not wants_json(request):
        if state == "published":
            messages.success(request, message)
            return HttpResponseRedirect(comment.get_fresh_url())
        return HttpResponseRedirect(f"{reverse('comments:posted')}?post={post.pk}&state={state}")
    payload = {"ok": True, "state": state, "message": message}
    if state == "published":
        page = load_threads(post, user=request.user, thread_id=comment.thread_id)
        item = next((item for item in page.items if item.id == comment.pk), None)
        if item is not None:
            payload["id"] = comment.pk
            payload["parent"] = comment.parent_id if comment.parent_id != comment.pk else None
            context = render_context(
                post, page, signed_in=True, is_open=True, csrf_token=get_token(request)
            )
            payload["html"] = context["thread_html"].single(item)
    return JsonResponse(payload, status=201 if state != "confirm" else 202)


@noindex
@never_cache
@require_http_methods(["GET", "HEAD"])
def posted(request):
    """The no-script landing page after posting: what happens next."""
    post = Post.objects.published().filter(pk=request.GET.get("post") or 0).first()
    state = request.GET.get("state")
    if post is None or state not in {"confirm", "held"}:
        raise Http404("Nothing was posted.")
    return TemplateResponse(request, "comments/posted.html", {"post": post, "state": state})


@noindex
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
@same_origin_post
def confirm(request, key):
    """The emailed "publish my comment" link: GET shows a button, only its POST publishes.

    Mail scanners open (GET or HEAD) every link in a message; that must not publish the
    comment, nor hand its address to the newsletter. The link is a signed JSON token
    (`comments.links`), used once, and expires after COMMENTS_CONFIRMATION_MAX_AGE_DAYS.
    """
    if links.is_legacy_link(key):
        return old_link(request, genuine=links.is_genuine_legacy_link(key))
    try:
        pending = links.read_confirmation(key)
    except Expired:
        return render_expired(request, comment=links.read_confirmation(key, expired_ok=True))
    except BadToken:
        pending = None
    if pending is None:
        raise Http404("This link is not valid.")
    comment = links.existing_comment(pending)
    if comment is None and request.method == "POST":
        refusal = refuse_missing_parent(request, pending)
        if refusal is not None:
            return refusal
        if links.claim_confirmation(key):
            return publish(request, pending)
        comment = links.existing_comment(pending)
        if comment is None:
            raise Http404("This link was already used.")
    if comment is not None:
        return published_page(request, comment)
    return TemplateResponse(
        request,
        "comments/confirm.html",
        {"comment": pending, "post": pending.content_object, "key": key},
    )


def publish(request, pending):
    """What xtd's confirmation view did: receivers may discard; store; notify followers."""
    responses = confirmation_received.send(sender=TmpXtdComment, comment=pending, request=request)
    if any(response is False for __, response in responses):
        return render_expired(request, comment=pending)
    comment = xtd_views._create_comment(pending)
    if not comment.is_visible:
        return TemplateResponse(request, "django_comments_xtd/moderated.html", {"comment": comment})
    notifications.notify_followers(comment)
    return published_page(request, comment)


def published_page(request, comment):
    if not comment.is_visible:
        return TemplateResponse(request, "django_comments_xtd/moderated.html", {"comment": comment})
    return TemplateResponse(
        request,
        "comments/published.html",
        {
            "comment": comment,
            "post": comment.content_object,
            "change_url": change_url(comment) if may_still_change(comment) else None,
            "comment_url": comment.get_fresh_url(),
            "editable_until": editable_until(comment),
        },
    )


def render_expired(request, comment=None):
    return TemplateResponse(
        request, "django_comments_xtd/discarded.html", {"comment": comment}, status=410
    )


def old_link(request, *, genuine: bool):
    """A link in xtd's old pickle format: never unpickled (see `comments.links`)."""
    if not genuine:
        raise Http404("This link is not valid.")
    return refuse(
        request,
        title="This link is no longer valid",
        message="It was sent before we changed how these links work, and cannot be used "
        "any more. Please write your comment again: we will send you a fresh link.",
        status=410,
    )


def refuse_missing_parent(request, pending):
    """The comment being replied to was removed (or hidden) since the reply was written."""
    if not pending.parent_id or reply_target(pending.content_object, pending.parent_id):
        return None
    return refuse(
        request,
        title="We could not publish this reply",
        message="The comment you replied to is no longer shown, so your reply cannot be "
        "published under it. You can write a new comment on the post instead.",
        status=410,
        post=pending.content_object,
    )


def reply_target(post, reply_to) -> Comment | None:
    """The public comment on `post` a reply may go under (below the maximum depth), or None."""
    try:
        reply_to = int(reply_to)
    except (TypeError, ValueError):
        return None
    if not 0 < reply_to < 2**31:
        return None
    comment = Comment.objects.public().for_object(post).filter(pk=reply_to).first()
    if comment is None or comment.level >= settings.COMMENTS_XTD_MAX_THREAD_LEVEL:
        return None
    return comment
