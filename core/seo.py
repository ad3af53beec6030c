"""What search engines and link previews read about a page, in one place.

- `canonical_url()`: the one address of a public page (pagination kept, any other query
  dropped), which its view hands to `base.html` as `canonical_url`;
- `noindex`: a view decorator for pages that live at a personal, secret address (mute,
  confirm, unsubscribe, preferences, sign-in links): `X-Robots-Tag` on the response and, through
  the `site` context processor, `<meta name="robots">` in the page, with no canonical link;
- `default_image()` and `publisher()`: the social image we ship for pages without a picture of
  their own, and the publisher (with its logo) that schema.org data names;
- `json_ld_script()`: a schema.org block that markup in a title cannot break out of.
"""

import functools
import json

from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from core import identity
from core.links import absolute_url

NOINDEX = "noindex, nofollow"
DEFAULT_IMAGE = {"path": "img/social-default.png", "width": 1200, "height": 630}
PUBLISHER_LOGO = {"path": "img/publisher-logo.png", "width": 512, "height": 512}

# Characters that could close the <script> element or start markup, escaped as JSON escapes
# (the same translation Django's json_script filter applies).
_JSON_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


def canonical_url(request, page_obj=None) -> str:
    """The page's address on SITE_URL: its path, plus `?page=N` past the first page.

    Any other query string (campaign tags, `?page=1`, `?page=last`) names the same page, so
    it is left out; `page_obj` gives the real page number whatever was typed.
    """
    url = absolute_url(request.path)
    if page_obj is not None and page_obj.number > 1:
        return f"{url}?page={page_obj.number}"
    return url


class IndexedPageMixin:
    """A page search engines should index: its canonical address (with the page number of a
    paginated list) and its schema.org data, both printed by base.html."""

    def get_json_ld(self, context: dict) -> dict | None:
        """The page's schema.org data; `context["canonical_url"]` is already set."""
        return None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["canonical_url"] = canonical_url(self.request, context.get("page_obj"))
        context["json_ld"] = self.get_json_ld(context)
        return context


def noindex(view):
    """Keep a page out of search engines: the header on the response, the meta tag in the page."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        request.robots = NOINDEX
        response = view(request, *args, **kwargs)
        response.headers["X-Robots-Tag"] = NOINDEX
        return response

    return wrapped


def _static_image(image: dict, alt: str) -> dict:
    return {
        "url": absolute_url(static(image["path"])),
        "width": image["width"],
        "height": image["height"],
        "alt": alt,
    }


def default_image() -> dict:
    """The social image of a page without a picture of its own (1200 × 630, as Open Graph and
    X's large card want)."""
    return _static_image(DEFAULT_IMAGE, alt=identity.current().site_name)


def image_object(image: dict) -> dict:
    """schema.org's ImageObject for one of our image dicts (url, width, height)."""
    data = {"@type": "ImageObject", "url": image["url"]}
    if image.get("width") and image.get("height"):
        data |= {"width": image["width"], "height": image["height"]}
    return data


def publisher() -> dict:
    """The site as schema.org's Organization, with the logo Google asks articles to name."""
    return {
        "@type": "Organization",
        "name": identity.current().site_name,
        "url": absolute_url("/"),
        "logo": image_object(_static_image(PUBLISHER_LOGO, alt=identity.current().site_name)),
    }


def website() -> dict:
    """The site as schema.org's WebSite: what a page `isPartOf`."""
    return {"@type": "WebSite", "name": identity.current().site_name, "url": absolute_url("/")}


def page_json_ld(page_type: str, *, name: str, description: str, url: str, **extra) -> dict:
    """schema.org data for a page that is not an article: home, tag, About, archive, editions."""
    return {
        "@context": "https://schema.org",
        "@type": page_type,
        "name": name,
        "description": description,
        "url": url,
        "isPartOf": website(),
        "publisher": publisher(),
        "image": image_object(default_image()),
        **extra,
    }


def json_ld_script(data: dict) -> SafeString:
    """A `<script type="application/ld+json">` block; a data block, so CSP does not apply."""
    payload = json.dumps(data, ensure_ascii=False, default=str).translate(_JSON_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(payload))
