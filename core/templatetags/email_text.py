from django import template

from core.mailtext import plain_text_part

register = template.Library()


@register.filter(is_safe=False)
def email_text(text: str) -> str:
    """A rendered plain-text email laid out by `core.mailtext.plain_text_part`."""
    return plain_text_part(str(text))
