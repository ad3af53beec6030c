from django.conf import settings
from django.utils.functional import SimpleLazyObject

from core import identity, seo


def site(request):
    """Site identity for every template (header, footer, page titles, link previews), with
    the name the writer gave in the admin; the robots directive a `core.seo.noindex` view set;
    empty defaults for what an indexed page's view gives base.html (`core.seo.IndexedPageMixin`)."""
    return {
        "site_name": identity.current().site_name,
        "site_tagline": settings.SITE_TAGLINE,
        "site_url": settings.SITE_URL,
        # Worked out only by a page that prints it: a post's stored head names its own.
        "default_social_image": SimpleLazyObject(seo.default_image),
        "robots": getattr(request, "robots", ""),
        "canonical_url": "",
        "json_ld": None,
    }
