"""The author's spam rules: words that hold a comment, domains whose comments are refused."""

from django.contrib import admin
from django_comments_xtd.models import BlackListedDomain

from comments.models import BlockedWord


@admin.register(BlockedWord)
class BlockedWordAdmin(admin.ModelAdmin):
    """Words and phrases that hold a comment for moderation (the author's spam rules)."""

    list_display = ["word", "created_at"]
    search_fields = ["word"]


@admin.register(BlackListedDomain)
class BlockedDomainAdmin(admin.ModelAdmin):
    """Domains whose comments are refused (filled by "mark as spam and block")."""

    list_display = ["domain"]
    search_fields = ["domain"]
