from django.http import HttpResponsePermanentRedirect
from django.utils import timezone
from django.views.generic import DetailView, ListView

from blog.models import Post


class PublishedPostMixin:
    """Every public view starts from the same published queryset."""

    def get_queryset(self):
        return Post.objects.published().select_related("author")


class PostListView(PublishedPostMixin, ListView):
    template_name = "blog/post_list.html"
    paginate_by = 10

    def get_queryset(self):
        return super().get_queryset().for_listing()


class PostDetailView(PublishedPostMixin, DetailView):
    template_name = "blog/post_detail.html"

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        canonical = self.object.get_absolute_url()
        if request.path != canonical:
            # The slug identifies the post; an outdated year/month in a shared link still works.
            return HttpResponsePermanentRedirect(canonical)
        context = self.get_context_data(object=self.object)
        return self.render_to_response(context)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["published_local"] = timezone.localtime(self.object.publish_at)
        return context
