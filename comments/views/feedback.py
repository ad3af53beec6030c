"""Like, dislike and flag: our checks around xtd's flags, and their "done" pages.

xtd's views show and act on any comment by id, held or removed ones and those on drafts
included, to any signed-in reader. Here a reader reaches only public comments on published
posts (moderators every comment); a POST must also come from one of our pages (on top of the
CSRF token) and stay within a per-network rate limit. GET shows a confirmation page (the
no-script way); POST acts, and answers the page's script with JSON (`wants_json`) so a like
or a flag changes the page in place, or sends the browser back to the comment.

A flag needs a reason (comments.forms.FlagForm, stored as a `FlagReport` beside
django-comments' flag), and nobody can flag their own comment.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods, require_safe
from django_comments.models import CommentFlag
from django_comments.views.moderation import perform_flag
from django_comments_xtd import views as xtd_views

from blog.models import Post
from comments.forms import FlagForm
from comments.models import Comment, FlagReport
from comments.views.base import refuse
from core import ratelimit
from core.origin import cross_site_refusal, is_same_origin, wants_json

FEEDBACK_PER_MINUTE = 30


def is_moderator(request) -> bool:
    return request.user.is_authenticated and request.user.has_perm("django_comments.can_moderate")


def visible_comment(request, pk) -> Comment | None:
    """The comment if this visitor may see it: public on a published post, or a moderator."""
    try:
        comment = Comment.objects.select_related(None).get(pk=int(pk))
    except (Comment.DoesNotExist, ValueError, TypeError, OverflowError):
        return None
    if is_moderator(request):
        return comment
    post = comment.content_object
    if not comment.is_visible or not isinstance(post, Post) or not post.is_published:
        return None
    return comment


def is_own(user, comment) -> bool:
    """The reader wrote it: signed in when posting, or with the address they sign in with."""
    if not user.is_authenticated:
        return False
    if comment.user_id is not None and comment.user_id == user.pk:
        return True
    return bool(user.email) and comment.user_email.lower() == user.email.lower()


def checked(view):
    """Public comments only; signed-in, same-origin, rate-limited POSTs; GET shows, POST acts."""

    @never_cache
    @require_http_methods(["GET", "HEAD", "POST"])
    @csrf_protect
    @wraps(view)
    def wrapped(request, comment_id):
        comment = visible_comment(request, comment_id)
        if comment is None:
            raise Http404("No such comment.")
        if not request.user.is_authenticated:
            if wants_json(request):
                return JsonResponse({"ok": False, "message": "Please sign in first."}, status=403)
            return redirect_to_login(request.get_full_path())
        if request.method == "POST":
            if not is_same_origin(request):
                return cross_site_refusal(request)
            allowed = ratelimit.allow(
                "comments-feedback",
                ratelimit.client_network(request),
                limit=FEEDBACK_PER_MINUTE,
                period=60,
            )
            if not allowed:
                if wants_json(request):
                    return JsonResponse(
                        {
                            "ok": False,
                            "message": "Too many reactions from your network in "
                            "the last minute. Please wait a minute.",
                        },
                        status=429,
                        headers={"Retry-After": "60"},
                    )
                return ratelimit.too_many_requests(
                    request,
                    message="Too many reactions were sent from your network in the last minute.",
                    retry_after=60,
                )
        return view(request, comment)

    return wrapped


def reaction(perform, xtd_view, *, verb: str):
    """Like or dislike: xtd's confirmation page on GET; on POST, toggle and answer."""

    @checked
    def view(request, comment):
        if request.method != "POST":
            return xtd_view(request, comment.pk)
        now_on = perform(request, comment)
        if not wants_json(request):
            # One ?c= to pass shared caches (Comment.get_fresh_url), never xtd's ?c=N&c=N.
            return HttpResponseRedirect(comment.get_fresh_url())
        likes, dislikes = Comment.objects.filter(pk=comment.pk).values_list(
            "like_count", "dislike_count"
        )[0]
        liked = now_on if verb == "like" else False
        disliked = now_on if verb == "dislike" else False
        done = "You {}d the comment by {}." if now_on else "Your {} is taken back ({})."
        return JsonResponse(
            {
                "ok": True,
                "liked": liked,
                "disliked": disliked,
                "likes": likes,
                "dislikes": dislikes,
                "message": done.format(verb, comment.user_name),
            }
        )

    return view


like = reaction(xtd_views.perform_like, xtd_views.like, verb="like")
dislike = reaction(xtd_views.perform_dislike, xtd_views.dislike, verb="dislike")


def refuse_own(request, comment):
    return refuse(
        request,
        title="This is your own comment",
        message="You cannot flag your own comment. If you want it gone, you can delete it "
        "from the page you were given when it was published, or ask the author.",
        status=403,
        post=comment.content_object,
    )


@checked
def flag(request, comment):
    """Flag a comment for the author: a reason, and a confirmation (this form's button)."""
    if is_own(request.user, comment):
        return refuse_own(request, comment)
    already = CommentFlag.objects.filter(
        comment=comment, user=request.user, flag=CommentFlag.SUGGEST_REMOVAL
    ).exists()
    if request.method != "POST":
        context = {"comment": comment, "form": FlagForm(), "already": already}
        return TemplateResponse(request, "comments/flag.html", context)
    form = FlagForm(request.POST)
    if not form.is_valid():
        if wants_json(request):
            errors = {name: list(errs) for name, errs in form.errors.items()}
            return JsonResponse(
                {"ok": False, "message": "Please choose a reason.", "errors": errors},
                status=400,
            )
        context = {"comment": comment, "form": form, "already": already}
        return TemplateResponse(request, "comments/flag.html", context, status=400)
    with transaction.atomic():
        perform_flag(request, comment)
        flagged = CommentFlag.objects.get(
            comment=comment, user=request.user, flag=CommentFlag.SUGGEST_REMOVAL
        )
        FlagReport.objects.update_or_create(
            flag=flagged,
            defaults={"reason": form.cleaned_data["reason"], "note": form.cleaned_data["note"]},
        )
    message = "Thank you. The author will review this comment."
    if wants_json(request):
        return JsonResponse({"ok": True, "flagged": True, "message": message})
    return HttpResponseRedirect(f"{reverse('comments-flag-done')}?c={comment.pk}")


def done_page(template):
    """The thanks page after a reaction or flag; names the comment only if it is visible."""

    @never_cache
    @require_safe
    def done(request):
        comment = visible_comment(request, request.GET.get("c"))
        return TemplateResponse(request, template, {"comment": comment})

    return done


like_done = done_page("django_comments_xtd/liked.html")
dislike_done = done_page("django_comments_xtd/disliked.html")
flag_done = done_page("comments/flagged.html")


@require_safe
def permalink(request, content_type_id, object_pk):
    """django-comments' `cr/<ct>/<pk>/` shortcut, for published posts only.

    The stock shortcut redirects to any object's URL, so it revealed the slug (headline) of
    drafts and scheduled posts to anyone counting through primary keys.
    """
    try:
        is_post = ContentType.objects.get_for_id(int(content_type_id)).model_class() is Post
        post = Post.objects.published().get(pk=int(object_pk)) if is_post else None
    except (ContentType.DoesNotExist, Post.DoesNotExist, ValueError, OverflowError):
        post = None
    if post is None:
        raise Http404("Nothing to show here.")
    return redirect(post)
