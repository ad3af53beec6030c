"""What is inside every email the site sends: one layout, readable text parts, real links.

Each message is taken as the bytes a mail server receives (tests/mail_samples.py). The Nu
checker and the browser look at the same messages in tests/e2e/test_email_rendering.py.
"""

import re

import pytest

from core.mailtext import WIDTH, plain_text_part, signature_lines
from tests.mail_samples import EVERY_EMAIL, every_email, html_part, text_part

pytestmark = pytest.mark.django_db

URL = re.compile(r"(?:https?://|mailto:)[^\s<>]+")
COMMENT_EMAILS = [
    "comment confirmation request",
    "reply notification",
    "author notification",
    "comment hidden after flags",
]


@pytest.fixture
def sent(django_capture_on_commit_callbacks, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return every_email(django_capture_on_commit_callbacks)


def test_the_samples_cover_every_email(sent):
    assert sorted(sent) == sorted(EVERY_EMAIL)
    for name, message in sent.items():
        assert message.get_content_type() == "multipart/alternative", name
        assert [p.get_content_type() for p in message.iter_parts()] == [
            "text/plain",
            "text/html",
        ], name


# Plain-text parts


def test_text_parts_are_wrapped_at_78_columns_and_only_a_link_stands_longer(sent):
    for name, message in sent.items():
        for line in text_part(message).splitlines():
            if len(line) > WIDTH:
                assert URL.fullmatch(line.strip()), f"{name}: {line!r}"


def test_text_parts_never_break_a_link_and_long_links_stand_alone(sent):
    for name, message in sent.items():
        for line in text_part(message).splitlines():
            for url in URL.findall(line):
                if len(url) > 40:
                    assert line.strip() == url, f"{name}: {line!r}"


def test_every_text_part_has_exactly_one_signature_delimiter(sent):
    for name, message in sent.items():
        text = text_part(message)
        assert signature_lines(text) == 1, name
        assert not re.search(r"^--$", text, re.MULTILINE), name


def test_the_edition_text_shows_real_destinations_not_click_redirects(sent, settings):
    assert settings.NEWSLETTER_CLICK_TRACKING
    for name in ["weekly edition", "weekly edition test send", "new post email"]:
        message = sent[name]
        text = text_part(message)
        assert "/newsletter/c/" not in text, name
        assert "/newsletter/c/" in html_part(message), name  # the HTML still counts clicks
        assert "https://news.example.org/bridge-" in text or name == "new post email"
        links = [url for url in URL.findall(text) if "/newsletter/u/" not in url]
        links = [url for url in links if "/newsletter/preferences/" not in url]
        assert links and max(len(url) for url in links) < 150, name


# HTML parts


def test_html_parts_keep_their_styles_where_gmail_and_outlook_keep_them(sent):
    for name, message in sent.items():
        html = html_part(message)
        assert not re.search(r"\d(?:\.\d+)?rem\b", html), name
        head, body = html.split("</head>")
        assert "<style" not in body and "<link" not in html, name
        body_tag = re.search(r"<body[^>]*>", body).group(0)
        # Gmail drops <body> and its styles: the wrapper below carries the same colours.
        assert body_tag == (
            '<body class="em-page" style="margin:0;padding:0;background-color:#fbfaf7;">'
        ), name
        page = re.search(r'<table class="em-page"[^>]*>', body).group(0)
        assert "background-color:#fbfaf7" in page and "color:#1d1c1a" in page, name


def test_html_parts_carry_a_preheader_hidden_everywhere(sent):
    for name, message in sent.items():
        html = html_part(message)
        match = re.search(
            r'<!--\[if !mso\]><!--><div class="em-preheader" style="([^"]+)">([^<]+)</div>', html
        )
        assert match, name
        style, text = match.groups()
        for rule in ["display:none", "max-height:0", "overflow:hidden", "opacity:0"]:
            assert rule in style, name
        words = text.split("&#847;")[0].strip()
        assert len(words) > 20, name
        assert text.count("&zwnj;") >= 20, name  # pads the preview so no body text follows


def test_html_parts_have_dark_mode_styles_as_they_declare_dark_mode(sent):
    for name, message in sent.items():
        head = html_part(message).split("</head>")[0]
        assert '<meta name="color-scheme" content="light dark">' in head, name
        assert "@media (prefers-color-scheme: dark)" in head, name
        assert "[data-ogsc] .em-text" in head and "[data-ogsb] .em-card" in head, name


def test_comments_quoted_in_emails_are_rendered_markdown(sent):
    for name in COMMENT_EMAILS:
        html = html_part(sent[name])
        assert "<em>disagree</em>" in html, name
        assert "<strong>second point</strong>" in html, name
        assert (
            '<a style="color:#9e2a1f;text-decoration:underline;" href="https://example.org/buses"'
            in html
        ), name
        assert "**second point**" not in html, name
        assert "<li " in html and "<code " in html, name


def test_a_comment_cannot_smuggle_markup_into_an_email(django_capture_on_commit_callbacks):
    from comments.templatetags.comment_email import comment_email_html

    html = comment_email_html("<img src=x onerror=alert(1)> [x](javascript:alert(1)) <b>b</b>")
    assert "<img" not in html and "<b>" not in html and "javascript:" not in html


def test_a_relative_link_in_a_comment_names_the_site_in_the_email(settings):
    from comments.templatetags.comment_email import comment_email_html

    html = comment_email_html("See [the about page](/about/) and [the budget](/2026/12/budget/).")
    assert f'href="{settings.SITE_URL}/about/"' in html
    assert f'href="{settings.SITE_URL}/2026/12/budget/"' in html
    assert 'href="/' not in html


def test_the_edition_shows_one_image_a_rendition_for_the_lead_story(sent):
    html = html_part(sent["weekly edition"])
    images = re.findall(r"<img [^>]+>", html)
    assert len(images) == 1
    src = re.search(r'src="([^"]+)"', images[0])[1]
    assert re.search(r"/media/renditions/[0-9a-f]+-800\.jpg$", src), src
    assert 'width="536"' in images[0]
    lead = html.index(images[0])
    titles = re.findall(r'<a class="em-title" href="[^"]+"[^>]*>([^<]+)</a></h3>', html)
    assert len(titles) == 3 and html.index(titles[0]) > lead > 0
    assert html.index(titles[0]) < html.index(titles[1])


def test_the_edition_links_each_title_once_with_no_read_links(sent):
    html = html_part(sent["weekly edition"])
    assert "Read “" not in html and "Read it" not in text_part(sent["weekly edition"])
    titles = re.findall(r'<a class="em-title" href="[^"]+"[^>]*>([^<]+)</a></h3>', html)
    for title in titles:
        assert html.count(f">{title}</a>") == 1


# The text layout itself


def test_plain_text_part_wraps_with_a_hanging_indent_and_keeps_links_whole():
    url = "https://example.org/" + "a" * 90
    text = plain_text_part(
        "1. " + "word " * 30 + "\n- A list item with a link " + url + " and more words after it.\n"
    )
    lines = text.splitlines()
    assert all(len(line) <= WIDTH for line in lines if url not in line)
    assert lines[0].startswith("1. word") and lines[1].startswith("   word")
    assert f"  {url}" in lines
    assert text.endswith("and more words after it.\n")


def test_plain_text_part_keeps_short_lines_and_the_delimiter_as_they_are():
    text = plain_text_part("Short line.\n\n\n\nAfter.\n-- \nSite\n")
    assert text == "Short line.\n\nAfter.\n-- \nSite\n"
