import csv
import smtplib

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Sum
from django.http import (
    HttpResponse,
    HttpResponseNotAllowed,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.csp import CSP
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csp import csp_override

from blog.models import Post
from newsletter import delivery, editions, rendering, subscriptions, tasks
from newsletter.consent import RECORD_FIELDS
from newsletter.forms import SubscriberImportForm
from newsletter.headlines import quick_headline
from newsletter.imports import EXPORT_COLUMNS, export_row
from newsletter.models import (
    Edition,
    EditionHeadline,
    EditionItem,
    Headline,
    HeadlineFeed,
    Subscriber,
    Suppression,
)
from newsletter.tasks import import_headlines as import_headlines_task
from newsletter.views import data_download


class _Echo:
    def write(self, value):
        return value


def csv_download(subscribers, *, filename: str) -> StreamingHttpResponse:
    """The subscribers as CSV, streamed row by row (the columns the import reads back)."""
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow(EXPORT_COLUMNS)
        for subscriber in subscribers.order_by("pk").iterator(chunk_size=2000):
            yield writer.writerow(export_row(subscriber))

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = ["email", "status", "cadence", "signed_up_at", "confirmed_at", "signup_source"]
    list_filter = ["status", "cadence", "unsubscribe_method"]
    search_fields = ["email", "signup_source"]
    date_hierarchy = "signed_up_at"
    list_per_page = 100
    fields = ["email", "status", "cadence", "data_export", *RECORD_FIELDS]
    readonly_fields = ["email", "status", "data_export", *RECORD_FIELDS]
    actions = ["export_csv", "resend_confirmation", "unsubscribe_selected"]
    change_list_template = "admin/newsletter/subscriber/change_list.html"

    def has_add_permission(self, request):
        # Addresses arrive through the signup form, the comment form or a CSV import, each of
        # which records consent; a bare "add" would not.
        return False

    def get_urls(self):
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="newsletter_subscriber_import",
            ),
            path(
                "export/",
                self.admin_site.admin_view(self.export_view),
                name="newsletter_subscriber_export",
            ),
            path(
                "<int:pk>/data/",
                self.admin_site.admin_view(self.data_view),
                name="newsletter_subscriber_data",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        counts = Subscriber.objects.status_counts()
        summary = [(label, counts[value], value) for value, label in Subscriber.Status.choices]
        extra_context = {
            **(extra_context or {}),
            "status_summary": summary,
            "suppressed_count": Suppression.objects.count(),
        }
        return super().changelist_view(request, extra_context=extra_context)

    # Deleting (one subscriber, or "Delete selected") is erasure: a suppression hash remains.
    def delete_model(self, request, obj):
        subscriptions.erase_subscribers(subscribers=Subscriber.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset):
        subscriptions.erase_subscribers(subscribers=queryset)

    @admin.display(description="Their data")
    def data_export(self, subscriber):
        if not subscriber.pk:
            return "—"
        url = reverse("admin:newsletter_subscriber_data", args=[subscriber.pk])
        return format_html('<a href="{}">Download everything stored (JSON)</a>', url)

    @admin.action(description="Export selected as CSV")
    def export_csv(self, request, queryset):
        return csv_download(queryset, filename="subscribers-selected.csv")

    @admin.action(description="Resend the confirmation email (at most one a day each)")
    def resend_confirmation(self, request, queryset):
        queued, skipped = subscriptions.resend_confirmations(
            subscribers=queryset, now=timezone.now()
        )
        self.message_user(request, f"{queued} confirmation email(s) queued.", messages.SUCCESS)
        not_pending = queryset.count() - queued - skipped
        if skipped:
            self.message_user(
                request,
                f"{skipped} skipped: a confirmation went to them less than 24 hours ago.",
                messages.WARNING,
            )
        if not_pending:
            self.message_user(
                request, f"{not_pending} skipped: not pending confirmation.", messages.WARNING
            )

    @admin.action(description="Unsubscribe selected")
    def unsubscribe_selected(self, request, queryset):
        now = timezone.now()
        done = sum(
            subscriptions.unsubscribe(
                subscriber=subscriber, method=Subscriber.UnsubscribeMethod.ADMIN, now=now
            )
            for subscriber in queryset
        )
        self.message_user(request, f"{done} subscriber(s) unsubscribed.", messages.SUCCESS)

    def export_view(self, request):
        """Every subscriber the changelist currently shows (its filters and search apply)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        changelist = self.get_changelist_instance(request)
        return csv_download(changelist.get_queryset(request), filename="subscribers.csv")

    def data_view(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return data_download(get_object_or_404(Subscriber, pk=pk))

    def import_view(self, request):
        """Upload → every row checked → all imported in one transaction, or nothing."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        form = SubscriberImportForm(request.POST or None, request.FILES or None)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Import subscribers from CSV",
            "form": form,
        }
        if request.method == "POST" and form.is_valid():
            parsed = form.parsed
            context["parsed"] = parsed
            if parsed.errors:
                context["errors"] = parsed.errors[:200]
                context["error_count"] = len(parsed.errors)
                return TemplateResponse(
                    request, "admin/newsletter/subscriber/import.html", context, status=400
                )
            report = subscriptions.import_subscribers(
                rows=parsed.rows,
                mode=form.cleaned_data["mode"],
                consent_source=form.cleaned_data["consent_source"].strip(),
                now=timezone.now(),
            )
            context["report"] = report
            context["skipped"] = [*parsed.duplicates, *report.skipped][:200]
            context["skipped_count"] = len(parsed.duplicates) + len(report.skipped)
        return TemplateResponse(request, "admin/newsletter/subscriber/import.html", context)


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    list_display = ["digest", "reason", "created_at"]
    list_filter = ["reason"]
    search_fields = ["digest"]
    readonly_fields = ["digest", "reason", "created_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# Weekly edition (issue 6): compose, preview, test, send or schedule, and watch it go out.


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
        help_text=f"In {settings.TIME_ZONE} time.",
    )


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
            return path(
                route,
                self.admin_site.admin_view(function),
                name=f"newsletter_edition_{suffix}",
            )

        return [
            view(self.compose_view, "compose", "compose/"),
            view(self.preview_view, "preview", "<int:pk>/preview/"),
            view(self.preview_email_view, "preview_email", "<int:pk>/preview/email.html"),
            view(self.send_test_view, "send_test", "<int:pk>/send-test/"),
            view(self.send_view, "send", "<int:pk>/send/"),
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

    def _context(self, request, edition, title, **extra):
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": edition,
            "edition": edition,
            "title": title,
            **extra,
        }

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

    def compose_view(self, request):
        """ "New weekly edition": a draft with this week's posts and headlines (POST only)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not super().has_add_permission(request):
            raise PermissionDenied
        edition = editions.compose_weekly_edition(now=timezone.now())
        self.message_user(
            request,
            f"A draft with {edition.items.count()} post(s) and "
            f"{edition.headline_links.count()} headline(s) from the last 7 days. Reorder, "
            "remove or add, write the intro, then preview.",
            messages.SUCCESS,
        )
        return redirect("admin:newsletter_edition_change", edition.pk)

    def _stand_in(self, request) -> Subscriber:
        return Subscriber(email=request.user.email or "author@example.org", status="active")

    def preview_view(self, request, pk):
        edition = self._edition(request, pk)
        stand_in = self._stand_in(request)
        problem = ""
        if edition.is_editable:
            try:
                editions.check_ready(edition, now=timezone.now())
            except editions.NotReady as err:
                problem = str(err)
        context = self._context(
            request,
            edition,
            f"Preview: {edition.subject}",
            text=rendering.preview_text(edition, subscriber=stand_in),
            from_email=settings.DEFAULT_FROM_EMAIL,
            test_address=request.user.email,
            problem=problem,
        )
        return TemplateResponse(request, "admin/newsletter/edition/preview.html", context)

    @method_decorator(xframe_options_sameorigin)
    @method_decorator(
        csp_override(
            {
                "default-src": [CSP.NONE],
                "style-src": [CSP.UNSAFE_INLINE],
                "img-src": [CSP.SELF, "https:", "http:", "data:"],
                "frame-ancestors": [CSP.SELF],
                "base-uri": [CSP.NONE],
                "form-action": [CSP.NONE],
            }
        )
    )
    def preview_email_view(self, request, pk):
        """The HTML part exactly as a subscriber gets it (shown in a sandboxed frame)."""
        edition = self._edition(request, pk)
        html = rendering.preview_html(edition, subscriber=self._stand_in(request))
        return HttpResponse(html, content_type="text/html; charset=utf-8")

    def send_test_view(self, request, pk):
        """ "Send a test to me": marked [Test], to the signed-in author, through `bulk`."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        edition = self._edition(request, pk)
        if not request.user.email:
            self.message_user(
                request, "Your account has no email address: add one first.", messages.ERROR
            )
            return redirect("admin:newsletter_edition_preview", edition.pk)
        try:
            delivery.send_test(edition=edition, to=request.user.email)
        except (smtplib.SMTPException, OSError) as err:
            self.message_user(
                request, f"The mail server did not take the test: {err}", messages.ERROR
            )
        else:
            self.message_user(request, f"Test sent to {request.user.email}.", messages.SUCCESS)
        return redirect("admin:newsletter_edition_preview", edition.pk)

    def send_view(self, request, pk):
        """The confirmation step: who gets it, then "send now" or "schedule"."""
        edition = self._edition(request, pk, change=True)
        form = ScheduleForm(request.POST if request.POST.get("action") == "schedule" else None)
        now = timezone.now()
        if request.method == "POST" and edition.is_editable:
            try:
                if request.POST.get("action") == "now":
                    count = tasks.send_now(edition=edition, now=now)
                    self.message_user(
                        request,
                        f"Sending to {count} subscriber(s). Progress shows below.",
                        messages.SUCCESS,
                    )
                    return redirect("admin:newsletter_edition_change", edition.pk)
                if request.POST.get("action") == "unschedule":
                    editions.unschedule(edition=edition, now=now)
                    self.message_user(request, "Back to draft.", messages.SUCCESS)
                    return redirect("admin:newsletter_edition_change", edition.pk)
                if form.is_valid():
                    tasks.send_later(edition=edition, send_at=form.cleaned_data["send_at"], now=now)
                    self.message_user(
                        request,
                        f"Scheduled for {timezone.localtime(edition.send_at):%d %B %Y, %H:%M}.",
                        messages.SUCCESS,
                    )
                    return redirect("admin:newsletter_edition_change", edition.pk)
            except editions.NotReady as err:
                self.message_user(request, str(err), messages.ERROR)
        elif request.method == "POST":
            self.message_user(request, "This edition is already on its way.", messages.WARNING)
            return redirect("admin:newsletter_edition_change", edition.pk)
        problem = ""
        try:
            editions.check_ready(edition, now=now)
        except editions.NotReady as err:
            problem = str(err)
        context = self._context(
            request,
            edition,
            f"Send “{edition.subject}”",
            form=form,
            recipients=Subscriber.objects.receiving(edition).count(),
            problem=problem,
        )
        return TemplateResponse(request, "admin/newsletter/edition/send.html", context)

    def resume_view(self, request, pk):
        """Wake the worker for an edition still sending (after an outage, say)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        edition = self._edition(request, pk)
        if edition.status == Edition.Status.SENDING:
            now = timezone.now()
            delivery.retry_now(edition=edition, now=now)
            tasks.send_now(edition=edition, now=now)
            self.message_user(request, "The worker was asked to resume now.", messages.SUCCESS)
        return redirect("admin:newsletter_edition_change", edition.pk)

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


@admin.register(Headline)
class HeadlineAdmin(admin.ModelAdmin):
    list_display = ["title", "source_name", "published_at", "status", "feed"]
    list_filter = ["status", "feed", "source_name", "published_at"]
    search_fields = ["title", "url", "source_name"]
    date_hierarchy = "published_at"
    fields = ["title", "url", "source_name", "published_at", "summary", "status"]
    actions = ["approve", "make_candidate"]
    change_list_template = "admin/newsletter/headline/change_list.html"

    def get_urls(self):
        return [
            path(
                "quick-add/",
                self.admin_site.admin_view(self.quick_add_view),
                name="newsletter_headline_quick_add",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "quick_add_form": QuickHeadlineForm()}
        return super().changelist_view(request, extra_context=extra_context)

    def quick_add_view(self, request):
        """Paste a link, a title and (optionally) the source: approved at once."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = QuickHeadlineForm(request.POST)
        if form.is_valid():
            headline = quick_headline(**form.cleaned_data)
            self.message_user(request, f"Headline “{headline.title}” approved.", messages.SUCCESS)
        else:
            errors = "; ".join(f"{field}: {' '.join(e)}" for field, e in form.errors.items())
            self.message_user(request, f"Not added: {errors}", messages.ERROR)
        return redirect("admin:newsletter_headline_changelist")

    @admin.action(description="Approve selected headlines")
    def approve(self, request, queryset):
        count = queryset.update(status=Headline.Status.APPROVED)
        self.message_user(request, f"{count} headline(s) approved.", messages.SUCCESS)

    @admin.action(description="Back to candidates")
    def make_candidate(self, request, queryset):
        count = queryset.update(status=Headline.Status.CANDIDATE)
        self.message_user(request, f"{count} headline(s) back to candidates.", messages.SUCCESS)


class QuickHeadlineForm(forms.Form):
    url = forms.URLField(label="Link", max_length=600, assume_scheme="https")
    title = forms.CharField(label="Title", max_length=300)
    source_name = forms.CharField(label="Source", max_length=120, required=False)


@admin.register(HeadlineFeed)
class HeadlineFeedAdmin(admin.ModelAdmin):
    list_display = ["name", "url", "active", "last_fetched_at", "last_error"]
    list_filter = ["active"]
    search_fields = ["name", "url"]
    readonly_fields = ["last_fetched_at", "last_error"]
    actions = ["fetch_now"]

    @admin.action(description="Fetch all active feeds now (in the background)")
    def fetch_now(self, request, queryset):
        transaction.on_commit(import_headlines_task.enqueue, robust=True)
        self.message_user(
            request,
            "The feeds are being fetched; reload this page in a minute for the results.",
            messages.SUCCESS,
        )
