from django.contrib import admin, messages
from django.utils import timezone
from django.utils.html import format_html

from blog.models import Post


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


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ["title", "state", "kind", "publish_at", "featured", "author"]
    list_display_links = ["title"]
    list_filter = [PublicationStateFilter, "kind", "featured", "author"]
    search_fields = ["title", "standfirst", "body"]
    date_hierarchy = "publish_at"
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["created_at", "updated_at", "reading_minutes"]
    actions = ["publish_now", "unpublish"]
    list_select_related = ["author"]
    save_on_top = True
    fieldsets = [
        (None, {"fields": ["title", "slug", "kind", "standfirst", "body"]}),
        ("Publishing", {"fields": ["status", "publish_at", "featured", "author"]}),
        (
            "History",
            {"fields": ["created_at", "updated_at", "reading_minutes"], "classes": ["collapse"]},
        ),
    ]

    @admin.display(description="State", ordering="status")
    def state(self, post):
        css = {"Published": "published", "Scheduled": "scheduled", "Draft": "draft"}
        label = post.state_label
        return format_html('<span class="post-state post-state--{}">{}</span>', css[label], label)

    def get_changeform_initial_data(self, request):
        return {"author": request.user.pk, **super().get_changeform_initial_data(request)}

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
