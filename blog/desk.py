"""The writing desk: the endpoints behind the post editor's preview, autosave and image drop.

All of them are admin views (staff only, the post's change permission), refuse anything but
the method they mean, and check that a POST comes from our own pages twice over: Django's CSRF
token, and the browser's Origin (`core.origin`). The page they enhance works without them:
without JavaScript the writer saves the form, and the preview pane shows the saved text.
"""

from functools import wraps

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.csp import CSP
from django.utils.decorators import method_decorator
from django.utils.formats import date_format
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_POST, require_safe

from blog import revisions
from blog.forms import ImageAdminForm, image_snippet
from blog.models import Image, Post, PostRevision, reading_stats
from core.markup import render_post_body
from core.origin import is_same_origin

MAX_BODY_CHARACTERS = 300_000
REVISIONS_SHOWN = 20
NEW_TEXTS_SHOWN = 5

# The preview pane is one of our own pages framed by the editor: the one place we allow that.
FRAME_POLICY = {
    "default-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "script-src": [CSP.NONE],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.NONE],
    "frame-ancestors": [CSP.SELF],
}


class DeskTextForm(forms.Form):
    """What the editor sends while the writer types: nothing is required, nothing is stripped."""

    title = forms.CharField(max_length=200, required=False, strip=False)
    standfirst = forms.CharField(max_length=300, required=False)
    body = forms.CharField(max_length=MAX_BODY_CHARACTERS, required=False, strip=False)


class DeskImageForm(ImageAdminForm):
    """An image dropped into the text: a refused one is simply dropped again, nothing kept."""

    keep_uploads = False


def same_origin_only(view):
    """Refuse a POST the browser does not say came from this site, before anything else."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method == "POST" and not is_same_origin(request):
            return JsonResponse({"error": "The request did not come from this site."}, status=403)
        return view(request, *args, **kwargs)

    return wrapped


def form_errors(form) -> list[str]:
    return [str(error) for errors in form.errors.values() for error in errors]


def saved_label(when) -> str:
    return f"Autosaved at {date_format(timezone.localtime(when), 'H:i')}"


class WritingDeskMixin:
    """PostAdmin's desk: extra admin URLs and the context the change form template reads."""

    def get_desk_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("desk/preview/", wrap(self.desk_preview), name="blog_post_desk_preview"),
            path("desk/frame/", wrap(self.desk_frame), name="blog_post_desk_frame"),
            path("desk/autosave/", wrap(self.desk_autosave_new), name="blog_post_autosave_new"),
            path("<int:pk>/desk/autosave/", wrap(self.desk_autosave), name="blog_post_autosave"),
            path("<int:pk>/desk/images/", wrap(self.desk_upload), name="blog_post_desk_upload"),
            path(
                "<int:pk>/revisions/<int:revision_pk>/",
                wrap(self.revision_compare),
                name="blog_post_revision",
            ),
            path(
                "<int:pk>/revisions/<int:revision_pk>/restore/",
                wrap(self.revision_restore),
                name="blog_post_revision_restore",
            ),
        ]

    def _editable_post(self, request, pk) -> Post:
        post = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.has_change_permission(request, post):
            raise PermissionDenied
        return post

    # The live preview

    @method_decorator(same_origin_only)
    @method_decorator(require_POST)
    def desk_preview(self, request):
        """The body rendered exactly as a save would render it, with its word count."""
        if not (self.has_add_permission(request) or self.has_change_permission(request)):
            raise PermissionDenied
        form = DeskTextForm(request.POST)
        if not form.is_valid():
            return JsonResponse({"errors": form_errors(form)}, status=400)
        html = render_post_body(form.cleaned_data["body"])
        words, minutes = reading_stats(html)
        return JsonResponse({"html": html, "words": words, "reading_minutes": minutes})

    @method_decorator(require_safe)
    @method_decorator(never_cache)
    @method_decorator(xframe_options_sameorigin)
    @method_decorator(csp_override(FRAME_POLICY))
    def desk_frame(self, request):
        """The preview pane: the post's saved text in the site's own article styles. The
        editor's script replaces the text as the writer types; no script runs in the frame."""
        post = None
        if request.GET.get("post", "").isdigit():
            post = self.get_queryset(request).filter(pk=request.GET["post"]).first()
            if post is not None and not self.has_view_or_change_permission(request, post):
                post = None
        return TemplateResponse(request, "admin/blog/post/desk_frame.html", {"post": post})

    # Autosave and images, on a post that exists

    @method_decorator(same_origin_only)
    @method_decorator(require_POST)
    def desk_autosave(self, request, pk):
        """Keep the editor's text as a revision. Never touches the post itself."""
        return self._autosave(request, self._editable_post(request, pk))

    @method_decorator(same_origin_only)
    @method_decorator(require_POST)
    def desk_autosave_new(self, request):
        """The same for a post not saved yet: the revision is the writer's until it is."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        return self._autosave(request, None)

    def _autosave(self, request, post: Post | None):
        form = DeskTextForm(request.POST)
        if not form.is_valid():
            return JsonResponse({"errors": form_errors(form)}, status=400)
        revision = revisions.autosave(
            post,
            title=form.cleaned_data["title"],
            body=form.cleaned_data["body"],
            author=request.user,
            continuing=request.POST.get("revision", ""),
        )
        if revision is None:
            return JsonResponse({"saved": False, "label": "No changes to autosave"})
        answer = {"saved": True, "revision": revision.pk, "label": saved_label(revision.updated)}
        if post is not None:
            answer["compare_url"] = reverse("admin:blog_post_revision", args=[post.pk, revision.pk])
        return JsonResponse(answer)

    @method_decorator(same_origin_only)
    @method_decorator(require_POST)
    def desk_upload(self, request, pk):
        """An image dropped or pasted into the body: the same checks, re-encoding and
        renditions as one uploaded in the Images section; answers the Markdown to insert."""
        post = self._editable_post(request, pk)
        form = DeskImageForm(request.POST, request.FILES, instance=Image(post=post))
        if not form.is_valid():
            return JsonResponse({"errors": form_errors(form)}, status=400)
        image = form.save()
        return JsonResponse({"snippet": image_snippet(image), "image": image.pk}, status=201)

    # Revisions

    def desk_context(self, request, post: Post | None) -> dict:
        """What the change form needs for the desk: endpoints and the post's revisions."""
        words, minutes = reading_stats(post.body_html) if post is not None else (0, 1)
        context = {
            "desk_preview_url": reverse("admin:blog_post_desk_preview"),
            "desk_words": words,
            "desk_minutes": minutes,
        }
        frame_url = reverse("admin:blog_post_desk_frame")
        if post is None:
            continued = self.new_text_for_editor(request)
            started = revisions.revisions_of(None, request.user)
            return context | {
                "desk_frame_url": frame_url,
                "desk_autosave_url": reverse("admin:blog_post_autosave_new"),
                "desk_revision": continued,
                "new_texts": [text for text in started[:NEW_TEXTS_SHOWN] if text != continued],
            }
        shown = list(post.revisions.select_related("author")[:REVISIONS_SHOWN])
        newer = shown[0] if shown and shown[0].updated > post.updated_at else None
        if newer is not None and (newer.title, newer.body) == (post.title, post.body):
            newer = None
        return context | {
            "desk_frame_url": f"{frame_url}?post={post.pk}",
            "desk_autosave_url": reverse("admin:blog_post_autosave", args=[post.pk]),
            "desk_upload_url": reverse("admin:blog_post_desk_upload", args=[post.pk]),
            "revisions": shown,
            "newer_revision": newer,
            "revision_count": post.revisions.count(),
        }

    @method_decorator(require_safe)
    def revision_compare(self, request, pk, revision_pk):
        post = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.has_view_or_change_permission(request, post):
            raise PermissionDenied
        revision = get_object_or_404(post.revisions.select_related("author"), pk=revision_pk)
        context = self.admin_site.each_context(request) | {
            "title": f"Compare: {post.title}",
            "opts": self.opts,
            "post": post,
            "revision": revision,
            "title_changed": revision.title != post.title,
            "lines": revisions.compare(revision.body, post.body),
            "can_restore": self.has_change_permission(request, post),
        }
        return TemplateResponse(request, "admin/blog/post/revision_compare.html", context)

    @method_decorator(same_origin_only)
    @method_decorator(require_POST)
    def revision_restore(self, request, pk, revision_pk):
        """Bring a revision back; the text it replaces is kept as a revision first."""
        post = self._editable_post(request, pk)
        revision = get_object_or_404(post.revisions, pk=revision_pk)
        change_url = reverse("admin:blog_post_change", args=[post.pk])
        when = date_format(timezone.localtime(revision.updated), "j M Y, H:i")
        if revisions.restore(revision, author=request.user):
            self.message_user(
                request,
                f"Restored the text of {when}. The text it replaced is kept in the revisions.",
                messages.SUCCESS,
            )
            return HttpResponseRedirect(change_url)
        self.message_user(
            request,
            f"The text of {when} is in the editor. Readers still see the published text until "
            "you save; the text it replaces is kept in the revisions.",
            messages.WARNING,
        )
        return HttpResponseRedirect(f"{change_url}?revision={revision.pk}")

    def new_text_for_editor(self, request) -> PostRevision | None:
        """On the add page: the writer's autosaved new text they chose to continue, or (the
        form came back with errors) the one this page was autosaving into."""
        if request.method == "POST":
            return revisions.new_text(request.user, request.POST.get("desk_revision", ""))
        return revisions.new_text(request.user, request.GET.get("revision", ""))

    def revision_for_editor(self, request, post: Post) -> PostRevision | None:
        """The revision a restore put into the editor (a published post, not yet saved)."""
        wanted = request.GET.get("revision", "")
        if request.method != "GET" or not wanted.isdigit():
            return None
        return post.revisions.filter(pk=wanted).first()
