"""The post list's "Comments" column.

`blog` never imports `comments`, so the column is added here, by re-registering blog's
PostAdmin with one more annotated column.
"""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from blog.admin import PostAdmin
from blog.models import Post
from comments.counts import with_public_comment_count

admin.site.unregister(Post)


@admin.register(Post)
class PostWithCommentsAdmin(PostAdmin):
    """blog's PostAdmin plus the number of public comments, counted in the list's query."""

    list_display = [*PostAdmin.list_display, "public_comments"]

    def get_queryset(self, request):
        return with_public_comment_count(super().get_queryset(request))

    @admin.display(description="Comments", ordering="public_comment_count")
    def public_comments(self, post):
        url = reverse("admin:comments_comment_changelist") + f"?post={post.pk}"
        return format_html('<a href="{}">{}</a>', url, post.public_comment_count)
