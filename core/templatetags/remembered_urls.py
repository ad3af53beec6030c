"""`{% url %}` for every template, remembering what a name without arguments reverses to.

Django reverses each `{% url 'blog:about' %}` on every render, about 25 µs apiece, and a post
page has two dozen (issue 12). A name without arguments reverses to the same path for the
life of the process, given what `reverse` itself reads: the URLconf, the script prefix and
the current app; those are the key, with autoescaping. Names with arguments, names held in a
variable and `as` forms are reversed as Django does. Installed as a builtin library
(TEMPLATES' OPTIONS "builtins"), so `{% url %}` in every template is this one.
"""

from django import template
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url

from core.links import reversing_context

register = template.Library()

_reversed: dict[tuple, str] = {}


def _current_app(context):
    """The current app as Django's URLNode finds it."""
    request = getattr(context, "request", None)
    if hasattr(request, "current_app"):
        return request.current_app
    return getattr(getattr(request, "resolver_match", None), "namespace", None)


class RememberedURLNode(URLNode):
    def render(self, context):
        name = self.view_name.var
        if self.args or self.kwargs or self.asvar or self.view_name.filters:
            return super().render(context)
        if not isinstance(name, str):  # a variable: it may name another view next time
            return super().render(context)
        key = (name, _current_app(context), context.autoescape, *reversing_context())
        try:
            return _reversed[key]
        except KeyError:
            url = _reversed[key] = super().render(context)
            return url


@register.tag
def url(parser, token):
    node = django_url(parser, token)
    return RememberedURLNode(node.view_name, node.args, node.kwargs, node.asvar)
