"""A commenter's own comment: edited or deleted within COMMENTS_EDIT_MINUTES of publication.

Signed-in readers change their comments by account; anonymous commenters by the signed link
shown once their comment is published (`change_url`).
"""

import datetime

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from comments.counts import recount
from comments.forms import EditForm
from comments.models import Comment
from comments.threads import editable_until
from comments.views.base import signed_in
from core.pagecache import refresh_public_pages
from core.seo import noindex
from core.tokens import BadToken, Signed

CHANGE_LINK = Signed("comments.change", objects=True)


def change_url(comment) -> str:
    """The signed link an anonymous commenter uses to edit or delete their comment."""
    token = CHANGE_LINK.sign(comment.pk)
    return f"{reverse('comments:edit', args=[comment.pk])}?token={token}"


def may_still_change(comment, *, now=None) -> bool:
    until = editable_until(comment)
    return until is not None and (now or timezone.now()) < until and comment.is_visible


def may_change(request, comment) -> bool:
    """Own comment, within COMMENTS_EDIT_MINUTES of publication: signed-in, or signed link."""
    if not may_still_change(comment):
        return False
    if signed_in(request) and comment.user_id == request.user.pk:
        return True
    token = request.POST.get("token") or request.GET.get("token") or ""
    # Minted when the comment went public, so its age never exceeds the editing window.
    max_age = datetime.timedelta(minutes=settings.COMMENTS_EDIT_MINUTES)
    try:
        return CHANGE_LINK.read(token, max_age=max_age) == comment.pk
    except BadToken:
        return False


@noindex
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def edit(request, pk):
    comment = get_object_or_404(Comment.objects.public(), pk=pk)
    post = comment.content_object
    if not may_change(request, comment):
        return TemplateResponse(
            request,
            "comments/refused.html",
            {
                "title": "This comment can no longer be changed",
                "message": f"Comments can be edited or deleted for "
                f"{settings.COMMENTS_EDIT_MINUTES} minutes after they are published.",
                "post": post,
            },
            status=403,
        )
    form = EditForm(request.POST or None, initial={"comment": comment.comment})
    if request.method == "POST" and form.is_valid():
        comment.apply_edit(form.cleaned_data["comment"])
        recount(comment.post_pk)  # stores the thread's first page with the new card
        refresh_public_pages()
        if signed_in(request):
            messages.success(request, "Your comment is updated.")
        return HttpResponseRedirect(comment.get_fresh_url())
    return TemplateResponse(
        request,
        "comments/edit.html",
        {
            "form": form,
            "comment": comment,
            "post": post,
            "token": request.GET.get("token") or request.POST.get("token") or "",
            "editable_until": editable_until(comment),
        },
    )


@noindex
@never_cache
@require_POST
def delete(request, pk):
    comment = get_object_or_404(Comment.objects.public(), pk=pk)
    if not may_change(request, comment):
        raise Http404("This comment can no longer be deleted.")
    # Replies by others stay; the comment becomes a "deleted" placeholder above them.
    with transaction.atomic():
        Comment.objects.filter(pk=comment.pk).update(
            is_removed=True, comment="", comment_html="", card_html="", edited_at=timezone.now()
        )
        recount(comment.post_pk)
    refresh_public_pages()
    if signed_in(request):
        messages.success(request, "Your comment is deleted.")
    return HttpResponseRedirect(comment.get_fresh_url(anchor="comments"))
