"""The comment queue: what needs a decision first, bulk decisions, a comment's context."""

from django.contrib import admin, messages
from django.db.models import Case, IntegerField, Q, Value, When
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django_comments.models import CommentFlag

from comments import review
from comments.admin.filters import AWAITING, FlaggedFilter, ModerationStatusFilter, PostFilter
from comments.flags import with_open_flags
from comments.models import Comment
from core import timezones
from core.markup import plain_text

THREAD_LIMIT = 100
OTHER_COMMENTS_LIMIT = 20


def status_label(comment) -> str:
    if comment.is_removed:
        return "Removed"
    return "Public" if comment.is_public else "Awaiting moderation"


def admin_link(comment) -> str:
    return reverse("admin:comments_comment_change", args=[comment.pk])


def shown_text(comment, length: int) -> str:
    """The opening of a comment as readers read it: its rendered text, not its Markdown."""
    return Truncator(plain_text(comment.comment_html)).chars(length)


def thread_entry(comment, *, current: bool) -> str:
    entry = format_html(
        '<a href="{}">{}</a>: {} <small>({})</small>',
        admin_link(comment),
        comment.name,
        shown_text(comment, 120),
        status_label(comment),
    )
    return format_html("<strong>{}</strong>", entry) if current else entry


def flag_reason(flag) -> str:
    """The reader's reason for a flag (comments.models.FlagReport), if they gave one."""
    report = getattr(flag, "report", None)  # None: no report (RelatedObjectDoesNotExist)
    if report is None:
        return ""
    return f": {report.get_reason_display()}" + (f" (“{report.note}”)" if report.note else "")


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = [
        "excerpt",
        "commenter",
        "post",
        "status",
        "open_flag_count",
        "submitted",
    ]
    list_display_links = ["excerpt"]
    list_filter = [ModerationStatusFilter, FlaggedFilter, PostFilter]
    list_select_related = ["user", "content_type"]
    search_fields = ["user_name", "user_email", "user__email", "comment"]
    search_help_text = "Search by name, email address or text."
    actions = ["approve", "remove", "mark_spam", "mark_spam_and_block_domains"]
    fieldsets = [
        (None, {"fields": ["post_link", "status_summary", "rendered", "reader_flags"]}),
        ("Text as written (Markdown)", {"fields": ["comment"], "classes": ["collapse"]}),
        ("Thread", {"fields": ["thread"]}),
        ("Other comments by this commenter", {"fields": ["other_comments"]}),
        ("Visibility", {"fields": ["is_public", "is_removed"]}),
        ("Commenter", {"fields": ["user_name", "user_email", "user_url", "user", "followup"]}),
        (
            "Metadata",
            {
                "fields": ["submit_date", "published_at", "edited_at", "ip_address"],
                "classes": ["collapse"],
            },
        ),
    ]

    readonly_fields = [
        "post_link",
        "status_summary",
        "rendered",
        "reader_flags",
        "user",
        "thread",
        "other_comments",
        "submit_date",
        "published_at",
        "edited_at",
        "ip_address",
    ]

    class Media:
        css = {"all": ["comments/admin.css"]}

    def get_queryset(self, request):
        # Not super(): it orders by get_ordering() before these annotations exist.
        queryset = with_open_flags(self.model._default_manager.get_queryset())
        queryset = queryset.annotate(
            needs_review=Case(
                When(AWAITING, then=Value(0)),
                When(is_removed=False, open_flags__gt=0, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        return queryset.prefetch_related("content_object").order_by(*self.get_ordering(request))

    def get_ordering(self, request):
        # Annotations, so not in `ordering` (whose system check accepts model fields only).
        return ["needs_review", "-open_flags", "-submit_date"]

    def has_add_permission(self, request):
        # Comments come from readers through the site, which builds their thread data.
        return False

    def view_on_site(self, comment):
        if comment.is_visible and comment.content_object is not None:
            return comment.get_absolute_url()
        return None

    # Columns -----------------------------------------------------------------------

    @admin.display(description="Comment")
    def excerpt(self, comment):
        return shown_text(comment, 90)

    @admin.display(description="By", ordering="user_name")
    def commenter(self, comment):
        return format_html("{}<br><small>{}</small>", comment.name, comment.email)

    @admin.display(description="Post")
    def post(self, comment):
        return str(comment.content_object) if comment.content_object is not None else "—"

    @admin.display(description="Status", ordering="needs_review")
    def status(self, comment):
        return status_label(comment)

    @admin.display(description="Flags", ordering="open_flags")
    def open_flag_count(self, comment):
        return comment.open_flags or ""

    @admin.display(description="Submitted", ordering="submit_date")
    def submitted(self, comment):
        return comment.submit_date

    # Change page -------------------------------------------------------------------

    @admin.display(description="Post")
    def post_link(self, comment):
        post = comment.content_object
        if post is None:
            return "—"
        if getattr(post, "is_published", False):
            return format_html('<a href="{}">{}</a>', post.get_absolute_url(), post)
        return str(post)

    @admin.display(description="Comment, as readers see it")
    def rendered(self, comment):
        # Sanitised when the comment was saved (comments.markup: nh3 allowlist).
        return format_html(
            '<div class="comment-rendered">{}</div>', mark_safe(comment.comment_html)
        )

    @admin.display(description="Status")
    def status_summary(self, comment):
        return status_label(comment)

    @admin.display(description="Flags and decisions")
    def reader_flags(self, comment):
        flags = CommentFlag.objects.filter(comment_id=comment.pk).select_related("user", "report")
        rows = [
            (
                flag.flag,
                flag.user.get_username(),
                timezones.local(flag.flag_date),
                flag_reason(flag),
            )
            for flag in flags.order_by("-flag_date")
        ]
        if not rows:
            return "None"
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{} by {} on {}{}</li>", rows))

    @admin.display(description="Whole thread (this comment in bold)")
    def thread(self, comment):
        thread = Comment.objects.filter(thread_id=comment.thread_id).order_by("order")
        items = format_html_join(
            "",
            '<li class="comment-thread__item comment-thread__item--level-{}">{}</li>',
            (
                (item.level, thread_entry(item, current=item.pk == comment.pk))
                for item in thread[:THREAD_LIMIT]
            ),
        )
        return format_html('<ul class="comment-thread">{}</ul>', items)

    @admin.display(description="Comments")
    def other_comments(self, comment):
        email = comment.email
        if not email:
            return "No email address to match."
        others = (
            Comment.objects.filter(Q(user_email__iexact=email) | Q(user__email__iexact=email))
            .exclude(pk=comment.pk)
            .prefetch_related("content_object")
            .order_by("-submit_date")
        )
        shown = list(others[:OTHER_COMMENTS_LIMIT])
        if not shown:
            return f"None from {email}."
        rows = format_html_join(
            "",
            '<li><a href="{}">{}</a> on “{}” <small>({}, {})</small></li>',
            (
                (
                    admin_link(other),
                    shown_text(other, 100),
                    other.content_object or "—",
                    status_label(other),
                    timezones.local(other.submit_date, "DATE_FORMAT"),
                )
                for other in shown
            ),
        )
        search = f"{reverse('admin:comments_comment_changelist')}?{urlencode({'q': email})}"
        return format_html(
            '<ul>{}</ul><p><a href="{}">All comments from {}</a></p>', rows, search, email
        )

    def save_model(self, request, obj, form, change):
        """Ticking "is public" or "is removed" here is a decision like the bulk actions."""
        if change and {"is_public", "is_removed"} & set(form.changed_data):
            becomes_visible = obj.is_public and not obj.is_removed
            if becomes_visible:
                obj.is_public, obj.is_removed = (
                    form.initial["is_public"],
                    form.initial["is_removed"],
                )
                review.approve_comment(comment=obj, moderator=request.user)
                return
            if obj.is_removed and not form.initial["is_removed"]:
                obj.is_removed = False
                super().save_model(request, obj, form, change)
                review.remove_comment(comment=obj, moderator=request.user)
                return
        super().save_model(request, obj, form, change)

    # Actions -----------------------------------------------------------------------

    @admin.action(description="Approve: publish and notify followers", permissions=["change"])
    def approve(self, request, queryset):
        comments = list(queryset)
        published = sum(
            review.approve_comment(comment=comment, moderator=request.user) for comment in comments
        )
        kept = len(comments) - published
        self.message_user(
            request,
            f"{published} comment(s) published; readers following their posts are notified."
            + (f" {kept} already public comment(s) stay, their flags reviewed." if kept else ""),
            messages.SUCCESS,
        )

    @admin.action(description="Remove from the site", permissions=["change"])
    def remove(self, request, queryset):
        removed = sum(
            review.remove_comment(comment=comment, moderator=request.user) for comment in queryset
        )
        self.message_user(request, f"{removed} comment(s) removed.", messages.SUCCESS)

    @admin.action(description="Mark as spam (remove)", permissions=["change"])
    def mark_spam(self, request, queryset):
        comments = list(queryset)
        for comment in comments:
            review.remove_comment(comment=comment, moderator=request.user, spam=True)
        self.message_user(
            request, f"{len(comments)} comment(s) marked as spam and removed.", messages.SUCCESS
        )
        return comments

    @admin.action(
        description="Mark as spam and block the senders’ email domains", permissions=["change"]
    )
    def mark_spam_and_block_domains(self, request, queryset):
        comments = self.mark_spam(request, queryset)
        blocked, spared = review.block_sender_domains(comments=comments)
        if blocked:
            self.message_user(
                request,
                f"Comments from {', '.join(blocked)} will be refused from now on.",
                messages.SUCCESS,
            )
        if spared:
            self.message_user(
                request,
                f"Not blocked, other readers comment from there: {', '.join(spared)}.",
                messages.WARNING,
            )
