"""Site search: ranked full-text search on PostgreSQL, every-word matching elsewhere.

Both backends return an ordered queryset for the view to paginate. Each result shown gets a
snippet, a few words of the body with the matched words in `<mark>`, as safe HTML: PostgreSQL
annotates it as `search_snippet`; elsewhere the `search_snippet` template filter builds it for
the posts on the page only. The text is always escaped before the `<mark>` tags go in, so
nothing a post body holds (Markdown, which passes raw HTML) reaches the page as markup.
"""

import re
from collections.abc import Iterable

from django.db import connections
from django.db.models import Case, Expression, F, IntegerField, Q, QuerySet, Value, When
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

SEARCH_CONFIG = "english"
SNIPPET_WORDS = 30
# Only this many of the newest matches are ranked and listed: a word found in every post
# costs the same as a word found in a few hundred (issue 12, constant cost in data size).
MAX_RANKED_RESULTS = 200
SNIPPET_WORDS_BEFORE_MATCH = 8

# Private-use characters stand in for <mark> and </mark> until the text has been escaped: they
# are not HTML-special, so escaping leaves them alone, and prose never contains them.
_MARK_START = "\ue000"
_MARK_STOP = "\ue001"
_MARKED = re.compile(f"{_MARK_START}(.*?){_MARK_STOP}", re.DOTALL)

_QUERY_WORD = re.compile(r"\w[\w'’-]*\w|\w")
_MARKDOWN_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MARKDOWN_LINE_MARKER = re.compile(r"^[ \t]*(?:#{1,6}|>(?:[ \t]*>)*|[-*+]|\d+[.)])[ \t]+", re.M)
_MARKDOWN_INLINE_MARKER = re.compile(r"\*\*|__|`")


def search_posts(queryset: QuerySet, query: str) -> QuerySet:
    """The posts of `queryset` matching `query`, best match first, then newest first."""
    if connections[queryset.db].vendor == "postgresql":
        # Imported here: django.contrib.postgres loads psycopg, some 20 MB that a worker on
        # SQLite never needs (issue 12).
        from blog.search_postgres import full_text_search

        return full_text_search(queryset, query)
    return _word_match_search(queryset, query)


def _word_match_search(queryset: QuerySet, query: str) -> QuerySet:
    """Search without a search engine: every word must appear in the title, standfirst or body.

    Posts with more words in their title come first, then those matching in more places,
    among the `MAX_RANKED_RESULTS` newest matches.
    The body comes along as `search_text` so snippets need no query per result.
    """
    words = query_words(query)
    if not words:
        return queryset.none()
    matches = queryset
    for word in words:
        matches = matches.filter(
            _contains("title", word) | _contains("standfirst", word) | _contains("body", word)
        )
    # The newest matches only, read down the publish_at index until enough are found.
    newest_matches = matches.order_by("-publish_at", "-id").values("pk")[:MAX_RANKED_RESULTS]
    queryset = queryset.filter(pk__in=newest_matches)
    title_hits = _count_hits(("title",), words)
    all_hits = _count_hits(("title", "standfirst", "body"), words)
    return queryset.annotate(
        title_hits=title_hits, search_hits=all_hits, search_text=F("body")
    ).order_by("-title_hits", "-search_hits", "-publish_at", "-id")


def query_words(query: str) -> list[str]:
    """The distinct words of a query, in order; punctuation and quotes around them dropped."""
    words: dict[str, str] = {}
    for word in _QUERY_WORD.findall(query):
        words.setdefault(word.casefold(), word)
    return list(words.values())


def _spellings(word: str) -> set[str]:
    """The word with straight and typographic apostrophes: “city's” finds “city’s”."""
    return {word, word.replace("'", "’"), word.replace("’", "'")}


def _contains(field: str, word: str) -> Q:
    condition = Q()
    for spelling in _spellings(word):
        condition |= Q(**{f"{field}__icontains": spelling})
    return condition


def _count_hits(fields: Iterable[str], words: list[str]) -> Expression:
    """How many (field, word) pairs match, as an SQL expression to order by."""
    hits = [
        Case(When(_contains(field, word), then=1), default=0, output_field=IntegerField())
        for field in fields
        for word in words
    ]
    return sum(hits, start=Value(0))


def snippet_for(post, query: str) -> SafeString:
    """A post's search snippet: PostgreSQL's headline when there is one, else one built here.

    Called from the template, so without PostgreSQL only the posts on the page shown get one.
    """
    if hasattr(post, "search_snippet"):
        return post.search_snippet
    text = post.search_text if hasattr(post, "search_text") else post.body
    return highlight_snippet(text, query_words(query))


def highlight_snippet(markdown: str, words: list[str]) -> SafeString:
    """About `SNIPPET_WORDS` words of the text around the first match, matches in `<mark>`."""
    text = _markdown_to_text(markdown.replace(_MARK_START, "").replace(_MARK_STOP, ""))
    tokens = text.split()
    pattern = _words_pattern(words)
    first = next((i for i, token in enumerate(tokens) if pattern.search(token)), 0)
    start = max(0, first - SNIPPET_WORDS_BEFORE_MATCH)
    end = start + SNIPPET_WORDS
    excerpt = pattern.sub(
        lambda match: f"{_MARK_START}{match[0]}{_MARK_STOP}", " ".join(tokens[start:end])
    )
    before = "… " if start else ""
    after = " …" if end < len(tokens) else ""
    return _highlighted_html(f"{before}{excerpt}{after}")


def _words_pattern(words: list[str]) -> re.Pattern:
    """Any of the words, longest first so “budgets” wins over “budget”; no words match nothing."""
    spellings = sorted({s for word in words for s in _spellings(word)}, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, spellings)) or r"(?!)", re.IGNORECASE)


def _markdown_to_text(markdown: str) -> str:
    """Markdown source as readable text: link targets, heading and quote markers dropped."""
    text = _MARKDOWN_LINK.sub(r"\1", markdown)
    text = _MARKDOWN_LINE_MARKER.sub("", text)
    text = _MARKDOWN_INLINE_MARKER.sub("", text)
    return " ".join(text.split())


def _highlighted_html(text: str) -> SafeString:
    """Escape the text, then turn the highlight markers into `<mark>` elements.

    Markers are only ever paired here, and any stray one is dropped, so the HTML stays valid.
    """
    marked = _MARKED.sub(r"<mark>\1</mark>", str(escape(text)))
    return mark_safe(marked.replace(_MARK_START, "").replace(_MARK_STOP, ""))
