from urllib.parse import urlsplit

from django.conf import settings


def absolute_url(url: str) -> str:
    """`url` on the public site address (SITE_URL), for feeds, emails and link previews.

    Pages are often reached through a proxy or on 127.0.0.1, so the request's own host is not
    what readers should be sent to. An address that already names its host is kept.
    """
    if not url:
        return url
    parts = urlsplit(url)
    if parts.netloc:
        return url if parts.scheme else f"{urlsplit(settings.SITE_URL).scheme}:{url}"
    return f"{settings.SITE_URL}{url}"
