from django.conf import settings
from django.contrib import admin, messages
from django.db import transaction
from django.shortcuts import redirect
from django.utils import timezone

from core import identity, outbox
from core.models import OutgoingEmail, SiteIdentity, TrustedDevice
from core.tasks import deliver_outgoing_email


@admin.register(OutgoingEmail)
class OutgoingEmailAdmin(admin.ModelAdmin):
    """What the site sent, is sending and failed to send: read-only, but for "retry now".

    The stored message itself is not shown: sign-in and confirmation links inside it are
    credentials of the people they were sent to.
    """

    list_display = ["subject", "to", "status", "attempts", "created_at", "sent_at", "last_error"]
    list_filter = ["status", "mailer"]
    search_fields = ["subject"]
    date_hierarchy = "created_at"
    fields = [
        "subject",
        "from_email",
        "recipients",
        "mailer",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
        "sent_at",
    ]
    readonly_fields = fields
    actions = ["retry_now"]

    @admin.display(description="To")
    def to(self, obj):
        return ", ".join(obj.recipients)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_retry_permission(self, request):
        return request.user.has_perm("core.change_outgoingemail")

    @admin.action(description="Retry now", permissions=["retry"])
    def retry_now(self, request, queryset):
        with transaction.atomic():
            pks = outbox.make_due_again(queryset, now=timezone.now())
            for pk in pks:
                transaction.on_commit(lambda pk=pk: deliver_outgoing_email.enqueue(pk), robust=True)
        skipped = queryset.count() - len(pks)
        self.message_user(
            request,
            f"{len(pks)} message(s) handed to the worker again"
            + (f"; {skipped} already sent or being sent were left alone." if skipped else "."),
            messages.SUCCESS if pks else messages.WARNING,
        )


@admin.register(TrustedDevice)
class TrustedDeviceAdmin(admin.ModelAdmin):
    """Browsers that skip the sign-in code; deleting one signs it out and asks it again."""

    list_display = ["label", "user", "created_at", "last_used_at", "expires_at"]
    list_filter = ["user"]
    date_hierarchy = "created_at"
    fields = ["user", "label", "created_at", "last_used_at", "expires_at"]
    readonly_fields = fields
    actions = ["delete_selected"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SiteIdentity)
class SiteIdentityAdmin(admin.ModelAdmin):
    """The one Site identity page: the list and "add" lead to it; it cannot be deleted.

    Each blank field shows, greyed, what is used instead (the environment's setting).
    """

    fieldsets = [
        (None, {"fields": ["site_name"]}),
        (
            "Email",
            {
                "fields": ["sender_name", "sender_address", "reply_to_address", "postal_address"],
                "description": "Who every email comes from, and where replies reach you.",
            },
        ),
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        return redirect("admin:core_siteidentity_change", SiteIdentity.SINGLETON_PK)

    def response_change(self, request, obj):
        self.message_user(request, "Saved: every page and email uses it from now on.")
        return redirect("admin:core_siteidentity_change", SiteIdentity.SINGLETON_PK)

    def get_object(self, request, object_id, from_field=None):
        """The row, or a blank one to fill in (saved on the first "Save", never on a GET)."""
        if str(object_id) != str(SiteIdentity.SINGLETON_PK):
            return None
        return SiteIdentity.objects.filter(pk=SiteIdentity.SINGLETON_PK).first() or SiteIdentity(
            pk=SiteIdentity.SINGLETON_PK
        )

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        fallback = {
            "site_name": settings.SITE_NAME,
            "sender_name": "the site name",
            "sender_address": identity.fallback_sender_address(),
            "reply_to_address": "the sender address",
            "postal_address": settings.NEWSLETTER_POSTAL_ADDRESS,
        }.get(db_field.name)
        if field is not None and fallback:
            field.widget.attrs["placeholder"] = fallback
        return field
