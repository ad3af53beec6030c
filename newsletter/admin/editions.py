"""Editions: compose the week, preview, send a test, then send now or schedule, and watch it go.

Each button is its own small view that accepts POST only, so following a link or reloading a
page never sends anything; the pages around them (preview, send, progress) only read.
"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.csp import CSP
from django.utils.decorators import method_decorator
from django.utils.html import format_html, format_html_join
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_POST, require_safe

from blog.models import Post
from core import identity, timezones
from core.smtp import SEND_ERRORS
from newsletter import delivery, editions, rendering, tasks
from newsletter.models import Edition, EditionHeadline, EditionItem, Headline, Subscriber

# The email preview runs no script, loads nothing but images, and only inside our own pages.
EMAIL_PREVIEW_POLICY = {
    "default-src": [CSP.NONE],
    "style-src": [CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "https:", "http:", "data:"],
    "frame-ancestors": [CSP.SELF],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.NONE],
}


class EditableOnlyInline(admin.TabularInline):
    """Rows of a draft or scheduled edition; a frozen edition's rows are history."""

    extra = 0

    def has_add_permission(self, request, obj=None):
        return obj is None or obj.is_editable

    def has_change_permission(self, request, obj=None):
        return obj is None or obj.is_editable

    def has_delete_permission(self, request, obj=None):
        return obj is None or obj.is_editable


class EditionItemInline(EditableOnlyInline):
    model = EditionItem
    fields = ["position", "post", "note"]
    verbose_name = "post"
    verbose_name_plural = "posts (lowest position first)"

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "post":
            # Only what readers can open: a draft's link would be a 404 in every inbox.
            kwargs["queryset"] = Post.objects.published().order_by("-publish_at")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class EditionHeadlineInline(EditableOnlyInline):
    model = EditionHeadline
    fields = ["position", "headline"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "headline":
            kwargs["queryset"] = Headline.objects.approved()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ScheduleForm(forms.Form):
    send_at = forms.DateTimeField(
        label="Send at",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Read and entered in the site's time zone, whatever the server's clock says.
        self.fields["send_at"].label = f"Send at ({timezones.zone_name()} time)"
        self.fields["send_at"].help_text = timezones.zone_note()


def explain(err: editions.NotReady) -> str:
    """What to fix, for a message or the send page; a missing sender links to where to fill it."""
    if not isinstance(err, editions.SenderNotReady):
        return str(err)
    links = [
        format_html('<a href="{}">{}</a>', item.fix_url(), item.label.lower()) for item in err.items
    ]
    if len(links) > 1:
        links = [format_html_join(", ", "{}", ((link,) for link in links[:-1])), links[-1]]
    return format_html(
        "Nothing goes to subscribers until the site says who sends it. Fill in the {} first; "
        "a test to yourself works already.",
        format_html_join(" and ", "{}", ((link,) for link in links)),
    )


def readiness_problem(edition: Edition) -> str:
    """Why the edition cannot be sent as it is, or "" when it can."""
    try:
        editions.check_ready(edition, now=timezone.now())
    except editions.NotReady as err:
        return explain(err)
    return ""


@admin.register(Edition)
class EditionAdmin(admin.ModelAdmin):
    list_display = [
        "subject",
        "kind",
        "status",
        "send_at",
        "frozen_at",
        "recipients_count",
        "sent_count",
        "failed_count",
        "clicks",
    ]
    list_filter = ["status", "kind"]
    search_fields = ["subject"]
    fields = ["subject", "preheader", "intro"]
    inlines = [EditionItemInline, EditionHeadlineInline]
    change_list_template = "admin/newsletter/edition/change_list.html"
    change_form_template = "admin/newsletter/edition/change_form.html"
    actions = None

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(click_total=Sum("link_clicks__count"))

    @admin.display(description="Clicks", ordering="click_total")
    def clicks(self, edition):
        return edition.click_total or 0

    def has_add_permission(self, request):
        # Editions start from "New weekly edition", which pre-fills the week.
        return False

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or obj.is_editable)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (
            obj is None or obj.status == Edition.Status.DRAFT
        )

    def get_urls(self):
        def view(function, suffix, route):
            name = f"newsletter_edition_{suffix}"
            return path(route, self.admin_site.admin_view(function), name=name)

        return [
            view(self.compose_view, "compose", "compose/"),
            view(self.preview_view, "preview", "<int:pk>/preview/"),
            view(self.preview_email_view, "preview_email", "<int:pk>/preview/email.html"),
            view(self.send_test_view, "send_test", "<int:pk>/send-test/"),
            view(self.send_view, "send", "<int:pk>/send/"),
            view(self.send_now_view, "send_now", "<int:pk>/send/now/"),
            view(self.schedule_view, "schedule", "<int:pk>/send/schedule/"),
            view(self.unschedule_view, "unschedule", "<int:pk>/send/unschedule/"),
            view(self.resume_view, "resume", "<int:pk>/resume/"),
            view(self.progress_view, "progress", "<int:pk>/progress.json"),
            *super().get_urls(),
        ]

    def _edition(self, request, pk, *, change=False) -> Edition:
        edition = get_object_or_404(Edition, pk=pk)
        allowed = (
            super().has_change_permission(request, edition)
            if change
            else self.has_view_permission(request, edition)
        )
        if not allowed:
            raise PermissionDenied
        return edition

    def _page(self, request, edition, template, title, **extra) -> TemplateResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": edition,
            "edition": edition,
            "title": title,
            **extra,
        }
        return TemplateResponse(request, f"admin/newsletter/edition/{template}", context)

    def _back_to(self, edition):
        return redirect("admin:newsletter_edition_change", edition.pk)

    def _stand_in(self, request) -> Subscriber:
        return Subscriber(email=request.user.email or "author@example.org", status="active")

    def change_view(self, request, object_id, form_url="", extra_context=None):
        edition = Edition.objects.filter(pk=object_id).first()
        if edition is not None:
            clicks = edition.link_clicks.all()
            extra_context = {
                **(extra_context or {}),
                "progress": delivery.progress(edition),
                "link_clicks": clicks,
                "click_total": sum(click.count for click in clicks),
                "click_tracking": settings.NEWSLETTER_CLICK_TRACKING,
                "problems": edition.deliveries.exclude(last_error="")
                .select_related("subscriber")
                .order_by("-last_attempt_at")[:20],
            }
        return super().change_view(request, object_id, form_url, extra_context)

    # Composing and checking

    @method_decorator(require_POST)
    def compose_view(self, request):
        """ "New weekly edition": a draft with this week's posts and headlines."""
        if not super().has_add_permission(request):
            raise PermissionDenied
        edition, created = editions.weekly_draft(now=timezone.now())
        if not created:
            self.message_user(
                request,
                "This week already has an open draft: here it is, as you left it. Schedule or "
                "send it (or delete it) before composing another.",
                messages.WARNING,
            )
            return self._back_to(edition)
        self.message_user(
            request,
            f"A draft with {edition.items.count()} post(s) and "
            f"{edition.headline_links.count()} headline(s) from the last 7 days. Reorder, "
            "remove or add, write the intro, then preview.",
            messages.SUCCESS,
        )
        return self._back_to(edition)

    @method_decorator(require_safe)
    def preview_view(self, request, pk):
        edition = self._edition(request, pk)
        return self._page(
            request,
            edition,
            "preview.html",
            f"Preview: {edition.subject}",
            text=rendering.preview_text(edition, subscriber=self._stand_in(request)),
            from_email=identity.current().from_header,
            test_address=request.user.email,
            problem=readiness_problem(edition) if edition.is_editable else "",
        )

    @method_decorator(require_safe)
    @method_decorator(xframe_options_sameorigin)
    @method_decorator(csp_override(EMAIL_PREVIEW_POLICY))
    def preview_email_view(self, request, pk):
        """The HTML part exactly as a subscriber gets it (shown in a sandboxed frame)."""
        edition = self._edition(request, pk)
        html = rendering.preview_html(edition, subscriber=self._stand_in(request))
        return HttpResponse(html, content_type="text/html; charset=utf-8")

    @method_decorator(require_POST)
    def send_test_view(self, request, pk):
        """ "Send a test to me": marked [Test], to the signed-in author, through `bulk`."""
        edition = self._edition(request, pk)
        if not request.user.email:
            self.message_user(
                request, "Your account has no email address: add one first.", messages.ERROR
            )
        else:
            try:
                editions.send_test(edition=edition, to=request.user.email)
            except SEND_ERRORS as err:
                self.message_user(
                    request, f"The mail server did not take the test: {err}", messages.ERROR
                )
            else:
                self.message_user(request, f"Test sent to {request.user.email}.", messages.SUCCESS)
        return redirect("admin:newsletter_edition_preview", edition.pk)

    # Sending: a confirmation page, then one view per button on it

    def _send_page(self, request, edition, form):
        return self._page(
            request,
            edition,
            "send.html",
            f"Send “{edition.subject}”",
            form=form,
            recipients=Subscriber.objects.receiving(edition).count(),
            problem=readiness_problem(edition),
        )

    @method_decorator(require_safe)
    def send_view(self, request, pk):
        """The confirmation step: who gets it, then "send now" or "schedule"."""
        edition = self._edition(request, pk, change=True)
        return self._send_page(request, edition, ScheduleForm())

    def _editable(self, request, pk) -> Edition | None:
        """The edition for a sending button, or None (with a message) if it already went."""
        edition = self._edition(request, pk, change=True)
        if edition.is_editable:
            return edition
        self.message_user(request, "This edition is already on its way.", messages.WARNING)
        return None

    @method_decorator(require_POST)
    def send_now_view(self, request, pk):
        """ "Yes, send it now": freeze the recipients; the worker takes it from there."""
        if (edition := self._editable(request, pk)) is None:
            return redirect("admin:newsletter_edition_change", pk)
        try:
            count = tasks.send_now(edition=edition, now=timezone.now())
        except editions.NotReady as err:
            self.message_user(request, explain(err), messages.ERROR)
            return redirect("admin:newsletter_edition_send", edition.pk)
        self.message_user(
            request, f"Sending to {count} subscriber(s). Progress shows below.", messages.SUCCESS
        )
        return self._back_to(edition)

    @method_decorator(require_POST)
    def schedule_view(self, request, pk):
        """ "Schedule": a bad or past time shows the send page again, saying why."""
        if (edition := self._editable(request, pk)) is None:
            return redirect("admin:newsletter_edition_change", pk)
        form = ScheduleForm(request.POST)
        if not form.is_valid():
            return self._send_page(request, edition, form)
        send_at = form.cleaned_data["send_at"]
        try:
            tasks.send_later(edition=edition, send_at=send_at, now=timezone.now())
        except editions.NotReady as err:
            self.message_user(request, explain(err), messages.ERROR)
            return self._send_page(request, edition, form)
        when = f"{timezones.local(edition.send_at)} ({timezones.zone_name()})"
        self.message_user(request, f"Scheduled for {when}.", messages.SUCCESS)
        return self._back_to(edition)

    @method_decorator(require_POST)
    def unschedule_view(self, request, pk):
        """ "Cancel the schedule": back to draft, unless the worker already started it."""
        if (edition := self._editable(request, pk)) is None:
            return redirect("admin:newsletter_edition_change", pk)
        if editions.unschedule(edition=edition, now=timezone.now()):
            self.message_user(request, "Back to draft.", messages.SUCCESS)
        return self._back_to(edition)

    @method_decorator(require_POST)
    def resume_view(self, request, pk):
        """Wake the worker for an edition still sending (after an outage, say)."""
        edition = self._edition(request, pk)
        if edition.status == Edition.Status.SENDING:
            now = timezone.now()
            delivery.retry_now(edition=edition, now=now)
            tasks.send_now(edition=edition, now=now)
            self.message_user(request, "The worker was asked to resume now.", messages.SUCCESS)
        return self._back_to(edition)

    @method_decorator(require_safe)
    def progress_view(self, request, pk):
        """Counts for the progress bar's script (staff only, never cached)."""
        edition = self._edition(request, pk)
        state = delivery.progress(edition).as_dict()
        edition.refresh_from_db(fields=["last_error", "last_error_at", "temporary_errors"])
        state |= {
            "status_label": Edition.Status(state["status"]).label,
            "temporary_errors": edition.temporary_errors,
            "last_error": edition.last_error,
        }
        response = JsonResponse(state)
        add_never_cache_headers(response)
        return response
