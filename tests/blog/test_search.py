import datetime
import re

import pytest
from django.db import connection
from django.urls import reverse

from blog import search
from blog.models import Post
from blog.search import highlight_snippet, query_words, search_posts
from tests.factories import PostFactory
from tests.support import warm_site_identity

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL full-text search only"
)


def make_post(*, title="A piece", standfirst="", body="Nothing to see here.", **kwargs) -> Post:
    return PostFactory(title=title, standfirst=standfirst, body=body, **kwargs)


def found(query: str) -> list[Post]:
    return list(search_posts(Post.objects.published(), query))


def search_page(client, query: str, **params):
    return client.get(reverse("blog:search"), {"q": query, **params})


def test_every_word_of_the_query_must_match():
    both = make_post(body="The tram depot will close.")
    make_post(body="The tram runs late.")
    make_post(body="The depot is empty.")
    assert found("tram depot") == [both]


def test_title_standfirst_and_body_are_all_searched():
    in_title = make_post(title="Harbour tolls")
    in_standfirst = make_post(standfirst="Why the harbour matters")
    in_body = make_post(body="Down at the harbour, nothing moves.")
    make_post(body="Inland, all is quiet.")
    assert set(found("harbour")) == {in_title, in_standfirst, in_body}


def test_title_matches_come_before_body_matches_even_when_older(now, yesterday):
    last_month = now - datetime.timedelta(days=30)
    older_title_match = make_post(title="Tram fares", publish_at=last_month)
    newer_body_match = make_post(body="A word on the tram, at last.", publish_at=yesterday)
    assert found("tram") == [older_title_match, newer_body_match]


def test_equal_matches_come_newest_first(now, yesterday):
    older = make_post(body="The ferry is late again.", publish_at=now - datetime.timedelta(days=30))
    newer = make_post(body="The ferry is late again.", publish_at=yesterday)
    assert found("ferry") == [newer, older]


def test_search_ignores_case():
    post = make_post(body="The Tram depot.")
    assert found("TRAM") == [post]


def test_a_straight_apostrophe_finds_a_typographic_one():
    post = make_post(body="The council’s plan is late.")
    assert found("council's plan") == [post]


def test_a_query_of_punctuation_only_finds_nothing():
    make_post(body="Anything at all.")
    assert found("“…” — !") == []


def test_query_words_drop_quotes_and_repeats():
    assert query_words('"Tram" tram, -depot’s ') == ["Tram", "depot’s"]


@postgres_only
def test_postgres_search_finds_other_forms_of_a_word():
    post = make_post(body="Budgets were cut.")
    assert found("budget") == [post]


@postgres_only
def test_postgres_search_understands_web_search_syntax():
    kept = make_post(body="The tram is late.")
    make_post(body="The tram depot is closed.")
    assert found("tram -depot") == [kept]


def test_snippet_shows_the_words_around_the_first_match():
    text = " ".join(f"w{n}" for n in range(100)) + " ferry " + " ".join(f"x{n}" for n in range(100))
    snippet = highlight_snippet(text, ["ferry"])
    words = snippet.split()
    assert "<mark>ferry</mark>" in words
    assert 25 <= len(words) <= 35
    assert words[0] == words[-1] == "…"


def test_snippet_marks_every_matched_word_whatever_its_case():
    snippet = highlight_snippet("Trams and more TRAMS, and a depot.", ["tram", "depot"])
    assert snippet == "<mark>Tram</mark>s and more <mark>TRAM</mark>S, and a <mark>depot</mark>."


def test_snippet_escapes_the_text_before_marking_it():
    snippet = highlight_snippet('<script>alert("tram")</script> & the tram', ["tram"])
    assert "<script" not in snippet
    assert snippet == (
        "&lt;script&gt;alert(&quot;<mark>tram</mark>&quot;)&lt;/script&gt; &amp; "
        "the <mark>tram</mark>"
    )


def test_snippet_reads_as_text_not_markdown():
    snippet = highlight_snippet("## Heading\n> A **bold** [tram](https://example.org/x)", ["tram"])
    assert snippet == "Heading A bold <mark>tram</mark>"


def test_stray_highlight_characters_in_a_post_cannot_unbalance_the_markup():
    snippet = highlight_snippet("A \ue000 tram \ue001 \ue001 here", ["tram"])
    assert snippet == "A <mark>tram</mark> here"


def test_search_page_finds_published_posts_only(client):
    make_post(title="Zeppelin notes")
    make_post(title="Zeppelin draft", draft=True)
    make_post(title="Zeppelin tomorrow", scheduled=True)
    html = search_page(client, "zeppelin").content.decode()
    assert "Zeppelin notes" in html
    assert "Zeppelin draft" not in html
    assert "Zeppelin tomorrow" not in html


def test_search_page_shows_an_escaped_highlighted_snippet(client):
    make_post(body='Before.\n<script>alert("x")</script> The tram depot, at last.')
    html = search_page(client, "tram").content.decode()
    snippet = re.search(r'<p class="search-result__snippet">(.*?)</p>', html, re.S)[1]
    assert "<mark>tram</mark>" in snippet
    assert "<script" not in snippet
    assert "<script>alert" not in html


def test_search_form_is_labelled_and_keeps_the_query(client):
    html = search_page(client, 'tram "depot" <b>').content.decode()
    assert '<label class="search-form__label" for="search-query">' in html
    assert 'id="search-query" type="search" name="q"' in html
    assert 'value="tram &quot;depot&quot; &lt;b&gt;"' in html


def test_search_page_counts_the_results(client):
    make_post(body="The tram.")
    make_post(body="Another tram.")
    assert "2 results for “tram”" in search_page(client, "tram").content.decode()
    assert "1 result for “another”" in search_page(client, "another").content.decode()


def test_search_page_without_a_query_suggests_the_archive(client):
    response = client.get(reverse("blog:search"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Type a word or two" in html
    assert f'href="{reverse("blog:archive")}"' in html


def test_search_page_without_results_says_so_and_suggests_the_archive(client):
    make_post(body="The tram.")
    html = search_page(client, "zeppelin").content.decode()
    assert "Nothing matches “zeppelin”" in html
    assert f'href="{reverse("blog:archive")}"' in html


def test_search_pages_keep_the_query_in_their_links(client):
    for _ in range(12):
        make_post(body="The tram & the bus.")
    first = search_page(client, "tram & bus").content.decode()
    second = search_page(client, "tram & bus", page=2)
    assert 'href="?q=tram%20%26%20bus&amp;page=2"' in first
    assert 'href="?q=tram%20%26%20bus&amp;page=1"' in second.content.decode()
    assert len(second.context["post_list"]) == 2


def test_search_results_are_not_indexed(client):
    html = search_page(client, "tram").content.decode()
    assert '<meta name="robots" content="noindex, follow">' in html


def test_snippets_are_built_only_for_the_page_shown(client, monkeypatch):
    for _ in range(15):
        make_post(body="The tram.")
    built = []
    build_snippet = search.highlight_snippet

    def counting_build_snippet(text, words):
        built.append(text)
        return build_snippet(text, words)

    monkeypatch.setattr(search, "highlight_snippet", counting_build_snippet)
    search_page(client, "tram")
    assert len(built) <= 10


def test_search_page_query_count_does_not_grow_with_results(client, django_assert_max_num_queries):
    for _ in range(3):
        make_post(body="The tram.")
    warm_site_identity()
    with django_assert_max_num_queries(5):
        search_page(client, "tram")
    for _ in range(15):
        make_post(body="The tram.")
    with django_assert_max_num_queries(5):
        search_page(client, "tram", page=2)


@pytest.mark.parametrize("typed", ["%00", "bus%00es", "%E2%80%AEbuses", "%7F%01"])
def test_control_characters_in_a_search_are_dropped_not_a_server_error(client, typed):
    """PostgreSQL refuses NUL in any string: a `?q=%00` used to answer 500 there."""
    PostFactory(title="Buses first", body="The buses run on time.")
    response = client.get(f"{reverse('blog:search')}?q={typed}")
    assert response.status_code == 200
