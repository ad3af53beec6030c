"""PostgreSQL's ranked full-text search, for `blog.search.search_posts`.

A module of its own so that only a site on PostgreSQL imports django.contrib.postgres (and
with it psycopg).
"""

from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVector,
)
from django.db.models import F, QuerySet
from django.utils.safestring import SafeString

from blog.search import (
    _MARK_START,
    _MARK_STOP,
    SEARCH_CONFIG,
    _highlighted_html,
    _markdown_to_text,
)


def full_text_search(queryset: QuerySet, query: str) -> QuerySet:
    """PostgreSQL search: stemmed, weighted (title over standfirst over body) and ranked.

    `websearch_to_tsquery` accepts what people type into search boxes ("quoted phrases",
    -excluded words, `or`) and never raises a syntax error.
    https://www.postgresql.org/docs/current/textsearch-controls.html
    """
    document = (
        SearchVector("title", weight="A", config=SEARCH_CONFIG)
        + SearchVector("standfirst", weight="B", config=SEARCH_CONFIG)
        + SearchVector("body", weight="C", config=SEARCH_CONFIG)
    )
    search_query = SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)
    return (
        queryset.annotate(search_document=document)
        .filter(search_document=search_query)
        .annotate(
            search_rank=SearchRank(F("search_document"), search_query),
            search_snippet=EscapedSearchHeadline(
                "body",
                search_query,
                config=SEARCH_CONFIG,
                start_sel=_MARK_START,
                stop_sel=_MARK_STOP,
                max_fragments=2,
                max_words=20,
                min_words=10,
                fragment_delimiter=" … ",
            ),
        )
        .order_by("-search_rank", "-publish_at", "-id")
    )


class EscapedSearchHeadline(SearchHeadline):
    """`ts_headline`, turned into safe HTML as each row is read.

    PostgreSQL computes the headline after ORDER BY and LIMIT, so a results page only pays for
    the snippets it shows; the conversion to HTML happens in Python because `ts_headline`
    copies the document's text, markup included, as it is.
    """

    def get_db_converters(self, connection):
        return [*super().get_db_converters(connection), _headline_to_html]


def _headline_to_html(value: str | None, expression, connection) -> SafeString | None:
    return None if value is None else _highlighted_html(_markdown_to_text(value))
