"""Sign in by email link, "My comments" and sign out (comments/accounts_urls.py)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django.views.generic import ListView

from comments import tasks
from comments.accounts.forms import SignInRequestForm
from comments.accounts.links import read_sign_in_token
from comments.accounts.signin import (
    check_sign_in_link,
    safe_next_url,
    sign_in_with_link,
)
from comments.models import Comment
from core.ratelimit import allow, client_network, too_many_requests
from core.seo import noindex

# A person retrying a lost email stays well inside these; a script mail-bombing one address,
# or spraying many from one network, does not.
LINKS_PER_ADDRESS = (3, 15 * 60)
REQUESTS_PER_NETWORK = (10, 60 * 60)


@noindex
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def sign_in(request):
    """Ask for an address and mail it a link; the same answer whether it has an account."""
    if request.user.is_authenticated:
        return redirect("accounts:my-comments")
    form = SignInRequestForm(
        request.POST if request.method == "POST" else None,
        initial={"next": safe_next_url(request, request.GET.get("next", ""))},
        request=request,
    )
    if request.method == "POST":
        limit, period = REQUESTS_PER_NETWORK
        if not allow("sign-in-network", client_network(request), limit=limit, period=period):
            return too_many_requests(
                request,
                message="Too many sign-in links were asked for from your network.",
                retry_after=period,
            )
        if form.is_valid():
            email = form.cleaned_data["email"]
            limit, period = LINKS_PER_ADDRESS
            if not allow("sign-in-address", email, limit=limit, period=period):
                return too_many_requests(
                    request,
                    message="We have already sent several sign-in links to that address.",
                    retry_after=period,
                )
            # The same work for every address (the lookup and the mail happen in the worker),
            # so the answer's timing does not tell staff addresses from readers'.
            tasks.send_sign_in_link.enqueue(email=email, next_url=form.cleaned_data["next"])
            return redirect("accounts:sign-in-sent")
    return TemplateResponse(request, "comments/accounts/sign_in.html", {"form": form})


@noindex
@never_cache
@require_safe
def sign_in_sent(request):
    return TemplateResponse(
        request,
        "comments/accounts/sign_in_sent.html",
        {"minutes": settings.READER_SIGN_IN_MAX_AGE // 60},
    )


@noindex
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def sign_in_confirm(request, token):
    """GET shows a button (link scanners only GET); the POST signs the reader in."""
    link = read_sign_in_token(token)
    if link is not None and request.user.is_authenticated:
        if request.user.email.lower() == link.email:  # signed in by this link a moment ago
            return HttpResponseRedirect(reverse("accounts:my-comments"))
    if request.method == "POST":
        user = sign_in_with_link(request=request, link=link)
        if user is not None:
            messages.success(request, f"You are signed in as {user.email}.")
            return HttpResponseRedirect(
                safe_next_url(request, link.next_url) or reverse("accounts:my-comments")
            )
    elif check_sign_in_link(link):
        response = TemplateResponse(
            request, "comments/accounts/sign_in_confirm.html", {"email": link.email}
        )
        response.headers["X-Robots-Tag"] = "noindex"
        return response
    return TemplateResponse(request, "comments/accounts/sign_in_invalid.html", status=400)


@method_decorator([noindex, never_cache, require_safe, login_required], name="dispatch")
class MyCommentsView(ListView):
    """The reader's own comments, newest first, with where each stands."""

    template_name = "comments/accounts/my_comments.html"
    context_object_name = "comment_list"
    paginate_by = 20

    def get_queryset(self):
        return (
            Comment.objects.filter(user=self.request.user)
            .select_related(None)
            .prefetch_related("content_object")
            .order_by("-submit_date", "-pk")
        )


my_comments = MyCommentsView.as_view()


@require_POST
def sign_out(request):
    logout(request)
    messages.success(request, "You are signed out.")
    return redirect("blog:post-list")
