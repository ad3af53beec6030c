from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import models
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.text import slugify
from django.views.decorators.http import require_safe

from blog import revisions
from blog.desk import WritingDeskMixin
from blog.forms import ImageAdminForm, image_snippet
from blog.models import Correction, Image, OldSlug, Post, Source, Tag
from blog.previews import preview_url
from blog.views import render_post_preview
from core.links import absolute_url
from core.timezones import ZoneNotedDatesMixin


class PublicationStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("published", "Published"), ("scheduled", "Scheduled"), ("draft", "Draft")]

    def queryset(self, request, queryset):
        match self.value():
            case "published":
                return queryset.published()
            case "scheduled":
                return queryset.scheduled()
            case "draft":
                return queryset.drafts()
        return queryset


class ImageInline(admin.StackedInline):
    model = Image
    form = ImageAdminForm
    extra = 0
    fields = ["file", "alt_text", "caption", "credit", "is_cover", "snippet"]
    readonly_fields = ["snippet"]
    verbose_name = "image"
    verbose_name_plural = "Images (upload, then paste the snippet into the body, or tick “cover”)"

    @admin.display(description="Paste into the body")
    def snippet(self, image):
        if not image.pk:
            return "Save the post to get the snippet."
        return format_html("<code>{}</code>", image_snippet(image))


class SourceInline(admin.TabularInline):
    model = Source
    extra = 0
    fields = ["position", "publisher", "title", "url"]
    # A plain address box: the admin's "Currently: … Change: …" doubles every row's height.
    formfield_overrides = {models.URLField: {"widget": forms.URLInput}}
    verbose_name_plural = "Sources (cited links, listed under the post)"


class CorrectionInline(ZoneNotedDatesMixin, admin.TabularInline):
    model = Correction
    extra = 0
    fields = ["noted_at", "note"]
    verbose_name_plural = "Corrections and updates (shown dated at the top of the post)"


class OldSlugInline(admin.TabularInline):
    """The addresses a published post was renamed from, each redirecting to the current one."""

    model = OldSlug
    extra = 0
    fields = ["slug", "retired_at"]
    readonly_fields = fields
    can_delete = False
    verbose_name_plural = "Old addresses (they redirect readers to the current one)"

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


SLUG_HELP_WHEN_PUBLISHED = (
    "The last part of the post's address. This post is published: if you change it, old links "
    "will redirect to the new address."
)


@admin.register(Post)
class PostAdmin(WritingDeskMixin, ZoneNotedDatesMixin, admin.ModelAdmin):
    list_display = ["title", "state", "kind", "publish_at", "featured", "author"]
    list_display_links = ["title"]
    list_filter = [PublicationStateFilter, "kind", "featured", "tags", "author"]
    search_fields = ["title", "standfirst", "body"]
    date_hierarchy = "publish_at"
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["created_at", "updated_at", "reading_minutes", "preview_links"]
    actions = ["publish_now", "unpublish"]
    list_select_related = ["author__profile"]
    save_on_top = True
    inlines = [ImageInline, SourceInline, CorrectionInline]
    # The first fieldset is the writing desk (templates/admin/blog/post/change_form.html).
    fieldsets = [
        (None, {"fields": ["title", "standfirst", "body"], "classes": ["desk__fields"]}),
        ("Address and tags", {"fields": ["slug", "kind", "tags"]}),
        (
            "Publishing",
            {
                "fields": [
                    "status",
                    "publish_at",
                    "featured",
                    "comments_open",
                    "author",
                    "preview_links",
                ]
            },
        ),
        (
            "History",
            {"fields": ["created_at", "updated_at", "reading_minutes"], "classes": ["collapse"]},
        ),
    ]

    @admin.display(description="State", ordering="status")
    def state(self, post):
        return post.state_label

    @admin.display(description="Preview")
    def preview_links(self, post):
        if not post.pk:
            return "Save the post to preview it."
        if post.is_published:
            return format_html(
                '<a href="{}" target="_blank">Preview as readers will see it</a><br>'
                "Published: share the post's own address, {}.",
                reverse("admin:blog_post_preview", args=[post.pk]),
                absolute_url(post.get_absolute_url()),
            )
        return format_html(
            '<a href="{}" target="_blank">Preview as readers will see it</a><br>'
            "Share before publishing (works for a week, no login needed): <code>{}</code>",
            reverse("admin:blog_post_preview", args=[post.pk]),
            absolute_url(preview_url(post)),
        )

    def get_urls(self):
        return [
            path(
                "<int:pk>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="blog_post_preview",
            ),
            *self.get_desk_urls(),
            *super().get_urls(),
        ]

    @method_decorator(require_safe)
    def preview_view(self, request, pk):
        post = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.has_view_or_change_permission(request, post):
            raise PermissionDenied
        return render_post_preview(request, post)

    def get_inlines(self, request, obj):
        """Old addresses only on a post that has some: most posts are never renamed."""
        if obj is not None and obj.old_slugs.exists():
            return [*self.inlines, OldSlugInline]
        return self.inlines

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None and obj.is_published and "slug" in form.base_fields:
            form.base_fields["slug"].help_text = SLUG_HELP_WHEN_PUBLISHED
            # Read by static/js/writing-desk.js, which asks before the address changes.
            form.base_fields["slug"].widget.attrs["data-published-slug"] = obj.slug
        return form

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        """Tags as checkboxes: a writer's handful of tags, one click each, readable by axe."""
        if db_field.name == "tags":
            kwargs["widget"] = forms.CheckboxSelectMultiple
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_object(self, request, object_id, from_field=None):
        """The post, with a restored revision's text in the editor when a restore asked so."""
        post = super().get_object(request, object_id, from_field)
        if post is not None and (revision := self.revision_for_editor(request, post)):
            post.title, post.body = revision.title or post.title, revision.body
            post.restored_revision = revision
        return post

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context.update(self.desk_context(request, obj if change else None))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            revisions.attach_new_text(obj, request.user, request.POST.get("desk_revision", ""))
        revisions.record_saved(obj, request.user)
        old_slug = form.initial.get("slug")
        if change and "slug" in form.changed_data and obj.old_slugs.filter(slug=old_slug).exists():
            self.message_user(
                request,
                f"The address changed from “{old_slug}” to “{obj.slug}”: old links will redirect "
                "to the new address.",
                messages.WARNING,
            )

    def get_changeform_initial_data(self, request):
        initial = {"author": request.user.pk, **super().get_changeform_initial_data(request)}
        if text := self.new_text_for_editor(request):
            initial |= {"title": text.title, "slug": slugify(text.title), "body": text.body}
        return initial

    def view_on_site(self, post):
        return post.get_absolute_url() if post.is_published else None

    @admin.action(description="Publish selected posts now", permissions=["change"])
    def publish_now(self, request, queryset):
        count = 0
        for post in queryset.exclude(status=Post.Status.PUBLISHED, publish_at__lte=timezone.now()):
            post.status = Post.Status.PUBLISHED
            if post.publish_at is None or post.publish_at > timezone.now():
                post.publish_at = timezone.now()
            post.save()
            count += 1
        self.message_user(request, f"{count} post(s) published.", messages.SUCCESS)

    @admin.action(description="Unpublish selected posts (back to draft)", permissions=["change"])
    def unpublish(self, request, queryset):
        count = 0
        for post in queryset.exclude(status=Post.Status.DRAFT):
            post.status = Post.Status.DRAFT
            post.save()
            count += 1
        self.message_user(request, f"{count} post(s) moved back to draft.", messages.SUCCESS)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "description"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


# The writer's profile and the demo content's removal (imported here to register them).
from blog import admin_workspace  # noqa: E402, F401
