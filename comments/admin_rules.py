"""Admin for the author's spam rules (the moderation queue itself lives in comments/admin.py)."""

from django.contrib import admin

from comments.models import BlockedWord


@admin.register(BlockedWord)
class BlockedWordAdmin(admin.ModelAdmin):
    list_display = ["word", "created_at"]
    search_fields = ["word"]
