"""Imported HTML kept as HTML blocks in a post's Markdown source (core.transfer.html)."""

from core.markup import render_post_body
from core.transfer import html


def test_blocks_survive_the_markdown_render_unchanged():
    source = html.to_post_source(
        "<p>One <em>two</em>\nthree</p><ul>\n<li>a</li>\n<li>b</li>\n</ul>"
        '<pre>x = 1\ny = 2</pre><p> </p><figure><img src="/a.png" alt="A"></figure>'
    )

    assert source.split("\n\n") == [
        "<p>One <em>two</em> three</p>",
        "<ul> <li>a</li> <li>b</li> </ul>",
        "<pre>x = 1&#10;y = 2</pre>",
        '<figure><img src="/a.png" alt="A"></figure>',
    ]
    rendered = render_post_body(source)
    assert "<pre>x = 1\ny = 2</pre>" in rendered
    assert "<p>One <em>two</em> three</p>" in rendered


def test_wordpress_paragraphs_are_made_as_wordpress_shows_them():
    assert html.autop("One\ntwo\n\nThree\n\n<h2>Four</h2>") == (
        "<p>One<br>\ntwo</p>\n\n<p>Three</p>\n\n<h2>Four</h2>"
    )


def test_comment_html_becomes_comment_text():
    text = html.to_text('<p>Yes &amp; no.</p><p>See <a href="https://x.example/">this</a>.</p>')
    assert text == "Yes & no.\n\nSee [this](https://x.example/)."
