"""Public newsletter pages: signup (no cookie, no CSRF token), confirm, unsubscribe, preferences.

The landing page and "check your inbox" are cacheable like every public page. Pages reached
through a personal link are never cached (`never_cache`): their answer depends on the token.
"""

import ipaddress
import json
from functools import wraps

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import DetailView, ListView

from blog.models import Post
from core import identity, seo
from core.links import absolute_url
from core.origin import same_origin_post, wants_json
from core.ratelimit import allow, client_ip, client_network, too_many_requests
from core.seo import noindex
from newsletter import subscriptions, tasks, tokens
from newsletter.clicks import count_click
from newsletter.forms import (
    SOURCES,
    STALE_FORM,
    PreferencesForm,
    SignupForm,
    signup_form_context,
)
from newsletter.models import Edition, Subscriber
from newsletter.rendering import read_click_token


def check_inbox_message() -> str:
    """The one answer to every accepted signup, whatever the address's state.

    New, pending, active or gone: the page reads the same, so the form cannot be used to find
    out whether an address is on the list.
    """
    return (
        "Thank you! Check your inbox: we have sent a link to confirm your subscription, "
        "unless that address is already subscribed. The link works for "
        f"{settings.NEWSLETTER_CONFIRM_MAX_AGE // 3600} hours."
    )


def allow_methods(*methods):
    """Like `require_http_methods`, but a wrong method gets a page saying what to do (405)."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method not in methods:
                response = TemplateResponse(
                    request, "newsletter/method_not_allowed.html", status=405
                )
                response.headers["Allow"] = ", ".join(methods)
                return response
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def _ip(request) -> str | None:
    """The client's address for the consent record, or None if the proxy sent garbage."""
    try:
        return str(ipaddress.ip_address(client_ip(request)))
    except ValueError:
        return None


def subscribe_page_json_ld() -> dict:
    return seo.page_json_ld(
        "WebPage",
        name="The weekly newsletter",
        description="My best articles and OpEds of the week, along with the major news "
        f"headlines: one email a week from {identity.current().site_name}.",
        url=absolute_url(reverse("newsletter:subscribe")),
    )


@allow_methods("GET", "HEAD")
def subscribe(request):
    """/newsletter/: what subscribers get and how often, and the form."""
    context = signup_form_context(request=request, source="page") | {
        "canonical_url": seo.canonical_url(request),
        "json_ld": subscribe_page_json_ld(),
    }
    return TemplateResponse(request, "newsletter/subscribe.html", context)


@noindex
@allow_methods("GET", "HEAD")
def check_inbox(request):
    """Where the form lands without JavaScript: the same words for every address."""
    return TemplateResponse(
        request, "newsletter/check_inbox.html", {"message": check_inbox_message()}
    )


def _signup_failed(request, form, *, status: int):
    if wants_json(request):
        errors = {name: list(messages) for name, messages in form.errors.items()}
        answer = {"ok": False, "message": form.first_error(), "errors": errors}
        if "stamp" in form.errors and form.stamp_state is not tokens.Stamp.TOO_FAST:
            answer["stamp"] = tokens.make_form_stamp()  # used, expired or broken: a new one
        return JsonResponse(answer, status=status)
    source = form.data.get("source") if form.data.get("source") in SOURCES else "page"
    context = signup_form_context(request=request, source=source, form=form)
    context["json_ld"] = subscribe_page_json_ld()
    return TemplateResponse(request, "newsletter/subscribe.html", context, status=status)


def _signed_up(request):
    if wants_json(request):
        # The stamp sent is used up: a new one, should the reader sign up another address.
        return JsonResponse(
            {"ok": True, "message": check_inbox_message(), "stamp": tokens.make_form_stamp()}
        )
    return HttpResponseRedirect(reverse("newsletter:check-inbox"), status=303)


@noindex
@allow_methods("POST")
@same_origin_post
def signup(request):
    """The form's POST: same-origin check, honeypot, signed timestamp, per-network limit."""
    form = SignupForm(request.POST)
    if form.is_bot:
        return _signed_up(request)
    if not allow(
        "newsletter-signup",
        client_network(request),
        limit=settings.NEWSLETTER_SIGNUPS_PER_HOUR,
        period=3600,
    ):
        message = "Too many signups came from your network in the last hour."
        if wants_json(request):
            response = JsonResponse({"ok": False, "message": message}, status=429)
            response.headers["Retry-After"] = "3600"
            return response
        return too_many_requests(request, message=message, retry_after=3600)
    if not form.is_valid():
        return _signup_failed(request, form, status=400)
    if not tokens.use_form_stamp(form.cleaned_data["stamp"]):  # sent before: a replay
        form.stamp_state = tokens.Stamp.USED
        form.add_error("stamp", STALE_FORM)
        return _signup_failed(request, form, status=400)
    # The same work for a new, pending or subscribed address: the answer's timing tells
    # nothing (newsletter.tasks.request_subscription).
    tasks.request_subscription.enqueue(
        email=form.cleaned_data["email"],
        source=SOURCES[form.cleaned_data["source"]],
        page_url=form.cleaned_data["page"],
        post_id=form.cleaned_data["post"],
        consent_version=form.cleaned_data["consent_version"],
        ip=_ip(request),
        at=timezone.now().isoformat(),
    )
    return _signed_up(request)


@never_cache
@allow_methods("GET", "HEAD")
def signup_stamp(request):
    """A fresh stamp for the signup form's script (newsletter/tokens.py says why).

    Signing only: nothing is stored until a signup uses the stamp, no cookie is set.
    """
    return JsonResponse(
        {"stamp": tokens.make_form_stamp(), "max_age": settings.NEWSLETTER_FORM_MAX_AGE}
    )


def _link_problem(request, *, title: str, message: str, status: int):
    return TemplateResponse(
        request,
        "newsletter/link_problem.html",
        {"title": title, "message": message} | signup_form_context(request=request, source="page"),
        status=status,
    )


INVALID_LINK = {
    "title": "This link does not work",
    "message": (
        "The link is incomplete or was changed. Copy the whole link from the email, "
        "or sign up again below."
    ),
    "status": 400,
}


@noindex
@never_cache
@allow_methods("GET", "HEAD", "POST")
@same_origin_post
def confirm(request, token):
    """GET shows a "Confirm" button; only its POST confirms (mail scanners only GET)."""
    state, payload = tokens.read_confirm_token(token)
    if state is tokens.Link.EXPIRED:
        hours = settings.NEWSLETTER_CONFIRM_MAX_AGE // 3600
        return _link_problem(
            request,
            title="This confirmation link has expired",
            message=(
                f"Confirmation links work for {hours} hours, and this one is older. "
                "Nothing was subscribed. To subscribe, send the form below again and use the "
                "link in the new email."
            ),
            status=410,
        )
    subscriber = (
        Subscriber.objects.filter(key=payload["k"]).first() if state is tokens.Link.VALID else None
    )
    if subscriber is None:
        return _link_problem(request, **INVALID_LINK)
    outcome = None
    if request.method == "POST":
        outcome = subscriptions.confirm_subscription(
            subscriber=subscriber, nonce=payload["n"], ip=_ip(request), now=timezone.now()
        )
    elif subscriber.is_active:
        outcome = subscriptions.Confirmation.ALREADY
    elif subscriber.confirmation_nonce != payload["n"]:
        outcome = subscriptions.Confirmation.REPLACED
    template = {
        None: "newsletter/confirm.html",
        subscriptions.Confirmation.CONFIRMED: "newsletter/confirmed.html",
        subscriptions.Confirmation.ALREADY: "newsletter/already_confirmed.html",
    }.get(outcome)
    if template is None:
        return _link_problem(
            request,
            title="This link has been replaced",
            message=(
                "A newer confirmation email was sent to this address, or the subscription "
                "ended. Use the link in the newest email, or sign up again below."
            ),
            status=410,
        )
    context = {"token": token}
    if outcome == subscriptions.Confirmation.CONFIRMED:
        context["preferences_token"] = tokens.make_preferences_token(subscriber)
    return TemplateResponse(request, template, context)


def _subscriber_for(token: str, *, read) -> Subscriber:
    key = read(token)
    subscriber = Subscriber.objects.filter(key=key).first() if key else None
    if subscriber is None:
        raise Http404("This link is not valid.")
    return subscriber


@noindex
@never_cache
@csrf_exempt  # RFC 8058: the mail program POSTs with no cookie and no token.
@allow_methods("GET", "HEAD", "POST")
def unsubscribe(request, token):
    """`List-Unsubscribe` target: POST unsubscribes at once (200, never a redirect).

    GET and HEAD (a reader's click, a link checker, a mail scanner) only ever see the page
    with the button: the state-changing branch is the one that names POST.
    """
    subscriber = _subscriber_for(token, read=tokens.read_unsubscribe_token)
    if request.method != "POST":
        return TemplateResponse(
            request, "newsletter/unsubscribe.html", {"subscriber": subscriber, "token": token}
        )
    one_click = request.POST.get("List-Unsubscribe") == "One-Click"
    subscriptions.unsubscribe(
        subscriber=subscriber,
        method=Subscriber.UnsubscribeMethod.ONE_CLICK
        if one_click
        else Subscriber.UnsubscribeMethod.LINK,
        now=timezone.now(),
    )
    return TemplateResponse(
        request,
        "newsletter/unsubscribed.html",
        signup_form_context(request=request, source="page"),
    )


@noindex
@never_cache
@allow_methods("GET", "HEAD", "POST")
@same_origin_post
def preferences(request, token):
    """The signed link in every email: cadence, unsubscribe, and a copy of one's data."""
    subscriber = _subscriber_for(token, read=tokens.read_preferences_token)
    form = PreferencesForm(request.POST or None, instance=subscriber)
    if request.method == "POST":
        if form.is_valid():
            form.save()
            return redirect(f"{request.path}?saved=1", permanent=False)
        status = 400
    else:
        status = 200
    context = {
        "subscriber": subscriber,
        "form": form,
        "saved": request.GET.get("saved") == "1" and request.method == "GET",
        "token": token,
        "unsubscribe_token": tokens.make_unsubscribe_token(subscriber),
    }
    return TemplateResponse(request, "newsletter/preferences.html", context, status=status)


@noindex
@never_cache
@allow_methods("POST")
@same_origin_post
def erase(request, token):
    """The subscriber deletes everything about them; only a suppression hash remains."""
    subscriber = _subscriber_for(token, read=tokens.read_preferences_token)
    subscriptions.erase_subscribers(subscribers=Subscriber.objects.filter(pk=subscriber.pk))
    return TemplateResponse(request, "newsletter/erased.html")


@noindex
@never_cache
@allow_methods("GET", "HEAD")
def export_data(request, token):
    """Everything stored about the subscriber, as a JSON download (GDPR Art. 15/20)."""
    subscriber = _subscriber_for(token, read=tokens.read_preferences_token)
    return data_download(subscriber)


def data_download(subscriber) -> HttpResponse:
    response = HttpResponse(
        json.dumps(subscriptions.subscriber_data(subscriber), indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    response.headers["Content-Disposition"] = 'attachment; filename="newsletter-data.json"'
    return response


# Weekly edition: the public archive, the web version, and the click counter.


class ArchivedEditionMixin:
    """Sent weekly editions only: drafts, scheduled editions and post emails never show."""

    def get_queryset(self):
        return Edition.objects.archived().order_by("-frozen_at", "-pk")


class EditionArchiveView(seo.IndexedPageMixin, ArchivedEditionMixin, ListView):
    """Past editions, newest first: cacheable like every public page."""

    template_name = "newsletter/edition_list.html"
    context_object_name = "editions"
    paginate_by = 20
    allow_empty = True

    def get_queryset(self):
        return super().get_queryset().only("pk", "subject", "preheader", "frozen_at", "kind")

    def get_json_ld(self, context: dict) -> dict:
        return seo.page_json_ld(
            "CollectionPage",
            name="Past editions",
            description=(
                f"Every weekly edition of the {identity.current().site_name} newsletter: the "
                "best articles and OpEds of the week, along with the major news headlines."
            ),
            url=context["canonical_url"],
        )


class EditionDetailView(seo.IndexedPageMixin, ArchivedEditionMixin, DetailView):
    """The web version of an edition, with direct links; posts unpublished since are left out."""

    template_name = "newsletter/edition_detail.html"
    context_object_name = "edition"

    def get_queryset(self):
        return super().get_queryset().defer("content_html", "content_text", "intro")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        published = Post.objects.published()
        context["items"] = self.object.items.filter(post__in=published).select_related("post")
        context["headlines"] = self.object.headline_links.select_related("headline")
        return context

    def get_json_ld(self, context: dict) -> dict:
        edition = self.object
        return {
            "@context": "https://schema.org",
            "@type": "Article",
            "headline": edition.subject,
            "name": edition.subject,
            "description": edition.preheader or edition.subject,
            "datePublished": edition.frozen_at.isoformat(),
            "url": absolute_url(edition.get_absolute_url()),
            "mainEntityOfPage": absolute_url(edition.get_absolute_url()),
            "author": seo.publisher(),
            "publisher": seo.publisher(),
            "image": seo.image_object(seo.default_image()),
            "isPartOf": seo.website(),
        }


@noindex
@never_cache
@allow_methods("GET", "HEAD")
def click(request, token):
    """Count one click on an edition's link, then go there; only links an edition contained.

    The token is signed (edition id and URL), so this is never an open redirect. Counts are
    per link and edition only. HEAD requests (link checkers) are not counted.
    """
    payload = read_click_token(token)
    if payload is None:
        return TemplateResponse(request, "newsletter/edition_link_problem.html", status=400)
    edition_id, url = payload
    if request.method == "GET" and settings.NEWSLETTER_CLICK_TRACKING:
        count_click(edition_id=edition_id, url=url)
    return HttpResponseRedirect(url)
