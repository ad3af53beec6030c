from django import template
from django.utils.safestring import SafeString

from blog.search import snippet_for

register = template.Library()


@register.filter
def search_snippet(post, query: str) -> SafeString:
    """The highlighted excerpt under a search result, built only for the results shown."""
    return snippet_for(post, query)
