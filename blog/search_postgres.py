"""PostgreSQL's ranked full-text search, for `blog.search.search_posts`.

A module of its own so that only a site on PostgreSQL imports django.contrib.postgres (and
with it psycopg).
"""

from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVectorField,
)
from django.db.models import Expression, F, QuerySet
from django.utils.safestring import SafeString

from blog.search import (
    _MARK_START,
    _MARK_STOP,
    MAX_RANKED_RESULTS,
    SEARCH_CONFIG,
    _highlighted_html,
    _markdown_to_text,
)


def full_text_search(queryset: QuerySet, query: str) -> QuerySet:
    """PostgreSQL search: stemmed, weighted (title over standfirst over body) and ranked.

    `websearch_to_tsquery` accepts what people type into search boxes ("quoted phrases",
    -excluded words, `or`) and never raises a syntax error. Only the `MAX_RANKED_RESULTS`
    newest matches are ranked, so the cost stays bounded however many posts match.
    https://www.postgresql.org/docs/current/textsearch-controls.html
    """
    search_query = SearchQuery(query, search_type="websearch", config=SEARCH_CONFIG)
    # The newest matches, found through the GIN index on the stored document: a word in
    # every post costs a bounded number of rows to rank, not the whole site.
    newest_matches = (
        queryset.annotate(search_document=_stored_document())
        .filter(search_document=search_query)
        .order_by("-publish_at", "-id")
        .values("pk")[:MAX_RANKED_RESULTS]
    )
    return (
        queryset.filter(pk__in=newest_matches)
        .annotate(search_document=_stored_document())
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


def _stored_document() -> "StoredDocument":
    return StoredDocument()


class StoredDocument(Expression):
    """The generated `search_document` column (migration 0010), which the model does not declare.

    It holds title (A), standfirst (B) and body (C) as `to_tsvector('english', …)`. The column
    is named on the query's own base table, so it stays right inside a subquery (alias `U0`).
    """

    output_field = SearchVectorField()

    def as_sql(self, compiler, connection):
        alias = compiler.query.get_initial_alias()
        return f"{compiler.quote_name(alias)}.search_document", []


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
