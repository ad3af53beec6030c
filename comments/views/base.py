"""What the comment views share: who is signed in, and refusals a reader understands."""

from django.conf import settings
from django.http import JsonResponse
from django.template.response import TemplateResponse

from blog.models import public_name
from core.origin import wants_json


def signed_in(request) -> bool:
    """Signed in, asked without touching the session of a visitor who has none.

    Reading `request.user` loads the session, which adds `Vary: Cookie` to the response and
    makes a public page uncacheable, so the cookie is checked first.
    """
    return settings.SESSION_COOKIE_NAME in request.COOKIES and request.user.is_authenticated


def refuse(request, *, title, message, status, post=None, form=None, stamp="", retry_after=None):
    """A refusal the reader understands: a page without JavaScript, JSON with it.

    With a form, the page shows it again filled in, with a fresh `stamp` if one is given
    (the script gets the stamp in the JSON and sends the form again with it). With
    `retry_after` (seconds), a Retry-After header says when to try again.
    """
    headers = {"Retry-After": str(retry_after)} if retry_after else None
    if wants_json(request):
        errors = {name: list(errs) for name, errs in form.errors.items()} if form else {}
        payload = {"ok": False, "title": title, "message": message, "errors": errors}
        if stamp:
            payload["stamp"] = stamp
        if retry_after:
            payload["retry_after"] = retry_after
        return JsonResponse(payload, status=status, headers=headers)
    user = request.user if signed_in(request) else None
    context = {
        "title": title,
        "message": message,
        "post": post,
        "form": form,
        "stamp": stamp,
        "signed_in": user is not None,
        "commenter_name": public_name(user) if user else "",
    }
    return TemplateResponse(
        request, "comments/refused.html", context, status=status, headers=headers
    )


def refuse_closed(request, post):
    """The friendly answer to a comment or reply on a closed post (xtd's is a bare 400)."""
    return refuse(
        request,
        title="Comments are closed",
        message="This post no longer takes comments.",
        status=403,
        post=post,
    )
