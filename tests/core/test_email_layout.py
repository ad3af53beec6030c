from pathlib import Path

import lxml.html
import pytest
from django.conf import settings
from django.template import Context, Engine
from django.template.loader import render_to_string

TEMPLATES = Path(settings.BASE_DIR) / "templates"
EMAILS = sorted(
    path.relative_to(TEMPLATES).with_suffix("").as_posix()
    for path in [
        *TEMPLATES.glob("emails/**/*.html"),
        *TEMPLATES.glob("django_comments_xtd/email_*.html"),
    ]
    if not path.name.startswith("_") and path.name != "base.html"
)


def test_every_email_is_found():
    assert len(EMAILS) == 8


@pytest.mark.parametrize("template", EMAILS)
def test_every_email_is_one_document_in_the_shared_layout(template):
    html = render_to_string(f"{template}.html", {})
    assert html.count("<!doctype html>") == 1
    page = lxml.html.document_fromstring(html)
    assert page.get("lang") == "en"
    assert page.xpath("//meta[@charset='utf-8']")
    assert page.xpath("//meta[@name='viewport']")
    assert page.xpath("//table[contains(@style, 'max-width:600px')]//p")


@pytest.mark.parametrize("template", EMAILS)
def test_every_text_part_ends_with_one_newline_and_no_template_syntax(template):
    text = render_to_string(f"{template}.txt", {})
    assert text.endswith("\n")
    assert "{%" not in text and "{{" not in text


def test_the_layout_uses_no_variable_a_sender_might_not_pass():
    """Every email is built by core.mail.templated_message, which passes these three."""
    engine = Engine(
        dirs=[TEMPLATES],
        string_if_invalid="MISSING(%s)",
        libraries={"email_text": "core.templatetags.email_text"},
    )
    context = {"subject": "Hello", "site_name": "The Dispatch", "site_url": "https://x.example"}
    for name in ("emails/base.html", "emails/base.txt"):
        assert "MISSING" not in engine.get_template(name).render(Context(context))


def test_the_preheader_is_hidden_and_comes_first():
    """Every email has one (tests/test_email_content.py); the edition's is its own field."""
    html = render_to_string("emails/base.html", {"preheader": "This week: buses"})
    body = lxml.html.document_fromstring(html).body
    hidden = body.xpath("./div[contains(@style, 'display:none')]")
    assert hidden[0].text_content().startswith("This week: buses")
    assert body.xpath("./*")[0] is hidden[0]  # before any content (after Outlook's comment)
