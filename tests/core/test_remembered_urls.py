"""`{% url %}` remembers names without arguments, and never gives a path another key would not."""

import pytest
from django.template import engines
from django.urls import clear_script_prefix, reverse, set_script_prefix

from core.templatetags import remembered_urls


def render(source: str, **context) -> str:
    return engines["django"].from_string(source).render(context)


@pytest.fixture(autouse=True)
def forget():
    remembered_urls._reversed.clear()
    yield
    remembered_urls._reversed.clear()
    clear_script_prefix()


def test_every_template_has_it_and_it_gives_what_reverse_gives():
    assert render("{% url 'blog:about' %}") == reverse("blog:about")
    assert render("{% url 'blog:tag-detail' 'harbour' %}") == reverse(
        "blog:tag-detail", args=["harbour"]
    )
    assert render("{% url 'blog:about' as about %}[{{ about }}]") == f"[{reverse('blog:about')}]"
    assert list(remembered_urls._reversed) != []  # the name without arguments is remembered


def test_a_name_held_in_a_variable_is_reversed_each_time():
    source = "{% url name %}"
    assert render(source, name="blog:about") == reverse("blog:about")
    assert render(source, name="blog:archive") == reverse("blog:archive")


def test_a_site_under_another_script_prefix_gets_its_own_paths():
    plain = render("{% url 'blog:about' %}")
    set_script_prefix("/writing/")
    assert render("{% url 'blog:about' %}") == "/writing" + plain
    clear_script_prefix()
    assert render("{% url 'blog:about' %}") == plain


def test_autoescaping_is_part_of_the_key():
    escaped = render("{% url 'blog:search' %}?q=a&b")
    assert escaped == reverse("blog:search") + "?q=a&b"
    off = render("{% autoescape off %}{% url 'blog:about' %}{% endautoescape %}")
    assert off == reverse("blog:about")
    assert len(remembered_urls._reversed) == 2
