from django.conf import settings

from core import identity


def site(request):
    """Site identity for every template (header, footer, page titles): the admin's name."""
    return {
        "site_name": identity.current().site_name,
        "site_tagline": settings.SITE_TAGLINE,
        "site_url": settings.SITE_URL,
    }
