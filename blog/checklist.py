"""The blog's items on the first-run checklist (core.checklist), registered in `BlogConfig.ready()`.

A writer is done when readers meet a name and a page about them, not a login name and a
fictional author.
"""

from django.urls import reverse

from blog.demo import content
from blog.models import AuthorProfile
from core import checklist


def has_display_name() -> bool:
    return AuthorProfile.objects.filter(is_demo=False).exclude(display_name="").exists()


def has_about_page() -> bool:
    return AuthorProfile.objects.filter(is_demo=False).exclude(bio="").exists()


def has_no_demo_content() -> bool:
    return not content.has_demo_content()


def register() -> None:
    checklist.register(
        "display-name",
        label="Your display name",
        explanation="Bylines, feeds and search results show it instead of your login name.",
        is_done=has_display_name,
        fix_url=lambda: reverse("admin:blog_authorprofile_mine"),
    )
    checklist.register(
        "about-page",
        label="Your About page",
        explanation="A few lines on who you are and what you write about, and a photo if you "
        "like: readers see them on the About page.",
        is_done=has_about_page,
        fix_url=lambda: reverse("admin:blog_authorprofile_mine"),
    )
    checklist.register(
        "demo-content",
        label="Demo content removed",
        explanation="The sample posts and their fictional author go, your own posts stay.",
        is_done=has_no_demo_content,
        fix_url=lambda: reverse("admin:blog_remove_demo_content"),
    )
