"""Headlines: quick-add a link, approve candidates from the feeds, fetch the feeds now."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect
from django.urls import path
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_POST

from newsletter.headlines import quick_headline
from newsletter.models import Headline, HeadlineFeed
from newsletter.tasks import import_headlines


class QuickHeadlineForm(forms.Form):
    url = forms.URLField(label="Link", max_length=600, assume_scheme="https")
    title = forms.CharField(label="Title", max_length=300)
    source_name = forms.CharField(label="Source", max_length=120, required=False)


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

    @method_decorator(require_POST)
    def quick_add_view(self, request):
        """Paste a link, a title and (optionally) the source: approved at once."""
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


@admin.register(HeadlineFeed)
class HeadlineFeedAdmin(admin.ModelAdmin):
    list_display = ["name", "url", "active", "last_fetched_at", "last_error"]
    list_filter = ["active"]
    search_fields = ["name", "url"]
    readonly_fields = ["last_fetched_at", "last_error"]
    actions = ["fetch_now"]

    @admin.action(description="Fetch all active feeds now (in the background)")
    def fetch_now(self, request, queryset):
        transaction.on_commit(import_headlines.enqueue, robust=True)
        self.message_user(
            request,
            "The feeds are being fetched; reload this page in a minute for the results.",
            messages.SUCCESS,
        )
