"""Smart punctuation on render (issue 11, the writing desk): typographic quotes, dashes and
ellipses in prose; code spans and blocks keep exactly what the writer typed."""

from core.markup import render_post_body


def test_straight_quotes_curl_and_apostrophes_turn():
    html = render_post_body('He said "it\'s fine" and left.')
    assert html == "<p>He said “it’s fine” and left.</p>"


def test_double_and_triple_hyphens_become_en_and_em_dashes():
    html = render_post_body("From 1990--2000 --- a decade.")
    assert html == "<p>From 1990–2000 — a decade.</p>"


def test_three_dots_become_an_ellipsis():
    assert render_post_body("And then...") == "<p>And then…</p>"


def test_code_spans_keep_straight_quotes_and_hyphens():
    html = render_post_body('Type `say "hi" -- now...` exactly.')
    assert '<code>say "hi" -- now...</code>' in html


def test_code_blocks_keep_straight_quotes_and_hyphens():
    html = render_post_body('```\nx = "a" -- \'b\'...\n```\n\n    indented "code" --')
    assert "x = \"a\" -- 'b'..." in html
    assert 'indented "code" --' in html
    assert "“" not in html and "–" not in html and "…" not in html


def test_typed_typographic_punctuation_is_left_as_it_is():
    source = "The council’s plan — “Buses First” – is a start…"
    assert render_post_body(source) == f"<p>{source}</p>"
