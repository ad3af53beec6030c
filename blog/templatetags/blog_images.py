"""Responsive images in templates: `{% picture %}` for pages, `{% image_url %}` for metadata.

Both read the renditions recorded on the image row (a JSON field), so neither costs a query.
"""

from typing import Any

from django import template
from django.core.files.storage import default_storage

register = template.Library()

LOADING_VALUES = {"lazy", "eager"}
DEFAULT_SIZES = "(min-width: 48rem) 44rem, 100vw"
SRC_WIDTH = 1200


@register.inclusion_tag("includes/picture.html")
def picture(image, sizes: str = DEFAULT_SIZES, loading: str = "lazy", class_name: str = ""):
    """A `<picture>` offering WebP and fallback renditions at each width, for `sizes`.

    Before the worker has made the renditions it is a plain `<img>` of the original. Use
    `loading="eager"` for the image at the top of a page (a post's cover): it is then also
    fetched with high priority, being the first thing the reader sees (web.dev/articles/lcp).
    """
    if loading not in LOADING_VALUES:
        raise template.TemplateSyntaxError(
            f"picture: loading must be “lazy” or “eager”, not {loading!r}."
        )
    if not image or not image.file:
        return {}
    fallbacks = _renditions(image, webp=False)
    shown = _nearest(fallbacks, SRC_WIDTH)
    return {
        "src": _url(shown) if shown else image.file.url,
        "width": shown["width"] if shown else image.width,
        "height": shown["height"] if shown else image.height,
        "srcset": _srcset(fallbacks),
        "webp_srcset": _srcset(_renditions(image, webp=True)),
        "sizes": sizes,
        "alt": image.alt_text,
        "class_name": class_name,
        "loading": loading,
        "fetchpriority": "high" if loading == "eager" else "",
    }


@register.simple_tag
def image_url(image, width: int = SRC_WIDTH) -> str:
    """The URL of the fallback rendition nearest `width`, else of the original.

    For Open Graph images and feed enclosures, where a single URL in a format every client
    reads (JPEG or PNG, not WebP) is all there is.
    """
    if not image or not image.file:
        return ""
    nearest = _nearest(_renditions(image, webp=False), width)
    return _url(nearest) if nearest else image.file.url


def _renditions(image, *, webp: bool) -> list[dict[str, Any]]:
    chosen = [r for r in image.renditions if (r["format"] == "webp") == webp]
    return sorted(chosen, key=lambda rendition: rendition["width"])


def _nearest(renditions: list[dict[str, Any]], width: int) -> dict[str, Any] | None:
    return min(renditions, key=lambda r: (abs(r["width"] - width), -r["width"]), default=None)


def _url(rendition: dict[str, Any]) -> str:
    return default_storage.url(rendition["name"])


def _srcset(renditions: list[dict[str, Any]]) -> str:
    return ", ".join(f"{_url(rendition)} {rendition['width']}w" for rendition in renditions)
