"""Subscribers: see who is on the list and how they agreed, import, export, resend, erase."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_http_methods, require_safe

from newsletter import subscriptions, tasks
from newsletter.consent import RECORD_FIELDS
from newsletter.forms import SubscriberImportForm
from newsletter.imports import EXPORT_COLUMNS, export_row
from newsletter.models import Subscriber, Suppression
from newsletter.views import data_download


class _Echo:
    def write(self, value):
        return value


def csv_download(subscribers, *, filename: str) -> StreamingHttpResponse:
    """The subscribers as CSV, streamed row by row (the columns the import reads back)."""
    import csv  # imported for a download, not by every web worker

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
    import_template = "admin/newsletter/subscriber/import.html"

    def has_add_permission(self, request):
        # Addresses arrive through the signup form, the comment form or a CSV import, each of
        # which records consent; a bare "add" would not.
        return False

    def get_urls(self):
        def view(function, suffix, route):
            name = f"newsletter_subscriber_{suffix}"
            return path(route, self.admin_site.admin_view(function), name=name)

        return [
            view(self.import_view, "import", "import/"),
            view(self.export_view, "export", "export/"),
            view(self.data_view, "data", "<int:pk>/data/"),
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
        return render_to_string("admin/newsletter/subscriber/data_export.html", {"url": url})

    @admin.action(description="Export selected as CSV")
    def export_csv(self, request, queryset):
        return csv_download(queryset, filename="subscribers-selected.csv")

    @admin.action(description="Resend the confirmation email (at most one a day each)")
    def resend_confirmation(self, request, queryset):
        now = timezone.now()
        queued, skipped = subscriptions.resend_confirmations(subscribers=queryset, now=now)
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

    @method_decorator(require_safe)
    def export_view(self, request):
        """Every subscriber the changelist currently shows (its filters and search apply)."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        changelist = self.get_changelist_instance(request)
        return csv_download(changelist.get_queryset(request), filename="subscribers.csv")

    @method_decorator(require_safe)
    def data_view(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return data_download(get_object_or_404(Subscriber, pk=pk))

    @method_decorator(require_http_methods(["GET", "HEAD", "POST"]))
    def import_view(self, request):
        """The upload form (GET); every row checked, then all imported at once or none (POST)."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        form = SubscriberImportForm(request.POST or None, request.FILES or None)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Import subscribers from CSV",
            "form": form,
        }
        if request.method != "POST" or not form.is_valid():
            return TemplateResponse(request, self.import_template, context)
        parsed = form.parsed
        context["parsed"] = parsed
        if parsed.errors:
            context |= {"errors": parsed.errors[:200], "error_count": len(parsed.errors)}
            return TemplateResponse(request, self.import_template, context, status=400)
        report = tasks.import_subscribers(
            rows=parsed.rows,
            mode=form.cleaned_data["mode"],
            consent_source=form.cleaned_data["consent_source"].strip(),
            now=timezone.now(),
        )
        context |= {
            "report": report,
            "skipped": [*parsed.duplicates, *report.skipped][:200],
            "skipped_count": len(parsed.duplicates) + len(report.skipped),
        }
        return TemplateResponse(request, self.import_template, context)


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
