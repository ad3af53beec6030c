from django import template

from blog.models import Post
from newsletter.forms import SOURCES, signup_form_context

register = template.Library()


@register.inclusion_tag("newsletter/includes/signup_form.html", takes_context=True)
def newsletter_signup(context, source="post"):
    """The signup form, for any page: `{% newsletter_signup source="post" %}`.

    It carries no CSRF token and nothing personal, so the page around it stays cacheable.
    On a post's page it names the post, so the dashboard can count the signups it brought.
    """
    if source not in SOURCES:
        raise template.TemplateSyntaxError(f"newsletter_signup: unknown source {source!r}")
    post = context.get("post")
    return signup_form_context(
        request=context.get("request"),
        source=source,
        post=post if isinstance(post, Post) else None,
    )
