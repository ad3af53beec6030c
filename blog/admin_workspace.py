"""The writer's own profile in the admin, and the button that takes the demo content away.

"Your profile" (`admin:blog_authorprofile_mine`) opens the signed-in writer's profile, or the
form to create it: the first-run checklist links there for the display name and the About
page. "Remove demo content" is a confirmation page (GET) and its POST; staff who may delete
posts only.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_safe

from blog.demo import content
from blog.forms import AuthorProfileAdminForm
from blog.models import AuthorProfile, Post, Tag


@admin.register(AuthorProfile)
class AuthorProfileAdmin(admin.ModelAdmin):
    form = AuthorProfileAdminForm
    list_display = ["__str__", "user", "is_demo"]
    list_select_related = ["user"]

    def get_urls(self):
        return [
            path(
                "mine/", self.admin_site.admin_view(self.mine_view), name="blog_authorprofile_mine"
            ),
            path(
                "demo/remove/",
                self.admin_site.admin_view(self.remove_demo_view),
                name="blog_remove_demo_content",
            ),
            *super().get_urls(),
        ]

    def get_changeform_initial_data(self, request):
        return {"user": request.user.pk, **super().get_changeform_initial_data(request)}

    @method_decorator(require_safe)
    def mine_view(self, request):
        """The signed-in writer's profile page, or the form that creates it."""
        profile = AuthorProfile.objects.filter(user=request.user).first()
        if profile is not None:
            return redirect("admin:blog_authorprofile_change", profile.pk)
        url = reverse("admin:blog_authorprofile_add")
        return redirect(f"{url}?{urlencode({'user': request.user.pk})}")

    @method_decorator(require_http_methods(["GET", "HEAD", "POST"]))
    def remove_demo_view(self, request):
        if not (
            request.user.has_perm("blog.delete_post")
            and request.user.has_perm("blog.delete_authorprofile")
        ):
            raise PermissionDenied
        if request.method == "POST":
            removed = content.remove()
            self.message_user(
                request,
                f"Demo content removed: {removed}. It will not be loaded again.",
                messages.SUCCESS,
            )
            return redirect("admin:index")
        context = {
            **self.admin_site.each_context(request),
            "title": "Remove the demo content",
            "opts": self.model._meta,
            "demo_posts": Post.objects.filter(is_demo=True).order_by("-publish_at"),
            "demo_profiles": AuthorProfile.objects.filter(is_demo=True),
            "demo_tags": Tag.objects.filter(is_demo=True),
            "own_posts": Post.objects.filter(is_demo=False).count(),
        }
        return TemplateResponse(request, "admin/blog/remove_demo_content.html", context)
