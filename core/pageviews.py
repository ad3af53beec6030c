"""Page views, counted on the server without tracking anyone (docs/decisions.md).

A view marks the response it renders with `count_as(response, "blog.post:42")`; the page cache
stores that key with the page, so a read is counted wherever the page is answered from: the
WSGI wrapper's memory, the shared cache, or a fresh render. Core knows keys only; the app that
marks a page turns its keys back into its objects.

What counts: a GET answered with the page (200, or 304 to a browser revalidating it) from a
browser that is not a known robot and not fetching ahead (prefetch, prerender, link previews),
by a visitor who is not signed-in staff. HEAD never counts. Besides the count, only the domain
of a link on another site that led to the page is kept (no path, no query); no address, cookie,
user agent or anything that tells one reader from another is stored or even buffered.

Counts are added up in this process's memory and written in bulk, one upsert per table that
adds to the day's row (so several processes and web nodes each flush their own buffer), every
PAGE_VIEWS_FLUSH_SECONDS by a background thread, never on a request, and once more when the
process exits. A crash loses at most that many seconds of counts of one process.
"""

import atexit
import logging
import os
import re
import threading
import time
from collections import Counter
from collections.abc import Mapping
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

log = logging.getLogger(__name__)

ATTRIBUTE = "page_view_key"
MAX_KEY_LENGTH = 100
# Rows per INSERT: far below SQLite's limit on bound parameters (32,766).
BATCH_ROWS = 500

# Every browser sends "Mozilla/5.0 …"; libraries, feed readers and most robots do not. Of those
# that do, these words give robots, previewers and headless browsers away.
_BROWSER = re.compile(r"^Mozilla/\d")
_ROBOT = re.compile(
    r"bot\b|bot/|crawl|spider|slurp|archiver|scraper|fetcher|preview|headless|lighthouse|"
    r"pagespeed|pingdom|uptime|monitor|facebookexternalhit|embedly|"
    r"bingpreview|yahoo|python|curl|wget|phantomjs|selenium|puppeteer|playwright",
    re.IGNORECASE,
)
_DOMAIN = re.compile(r"^[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?$")

_lock = threading.Lock()
_views: Counter = Counter()
_referrers: Counter = Counter()
_flusher = {"pid": None}


def count_as(response, key: str):
    """Mark a response as a read of `key` (at most MAX_KEY_LENGTH characters); returns it."""
    if len(key) > MAX_KEY_LENGTH:
        raise ValueError(f"page view key longer than {MAX_KEY_LENGTH} characters: {key!r}")
    setattr(response, ATTRIBUTE, key)
    return response


def marked_key(response) -> str | None:
    return getattr(response, ATTRIBUTE, None)


def is_reader(meta: Mapping) -> bool:
    """A browser reading the page now: GET, a browser's user agent, not fetching ahead."""
    if meta.get("REQUEST_METHOD") != "GET":
        return False
    agent = meta.get("HTTP_USER_AGENT", "")
    if not _BROWSER.match(agent) or _ROBOT.search(agent):
        return False
    # Chrome's Sec-Purpose ("prefetch", "prefetch;prerender"), the older Purpose, Firefox's
    # X-Moz and Safari's X-Purpose: the page may never be seen.
    ahead = " ".join(
        meta.get(name, "")
        for name in ("HTTP_SEC_PURPOSE", "HTTP_PURPOSE", "HTTP_X_MOZ", "HTTP_X_PURPOSE")
    ).lower()
    return "prefetch" not in ahead and "preview" not in ahead and "prerender" not in ahead


def referrer_domain(meta: Mapping) -> str | None:
    """The other site whose link led here: its host name, lower case, without "www."."""
    referrer = meta.get("HTTP_REFERER", "")
    if not referrer:
        return None
    try:
        parts = urlsplit(referrer)
        domain = (parts.hostname or "").rstrip(".")
    except ValueError:
        return None
    if parts.scheme not in ("http", "https"):
        return None
    domain = domain.removeprefix("www.")
    if not _DOMAIN.match(domain) or domain in _own_domains(meta):
        return None
    return domain


def _own_domains(meta: Mapping) -> set[str]:
    hosts = {meta.get("HTTP_HOST", ""), meta.get("SERVER_NAME", "")}
    site_url = getattr(settings, "SITE_URL", "")
    if site_url:
        hosts.add(urlsplit(site_url).netloc)
    own = set()
    for host in hosts:
        try:
            name = urlsplit(f"//{host}").hostname
        except ValueError:
            continue
        if name:
            own.add(name.removeprefix("www."))
    return own


def record(key: str, meta: Mapping) -> None:
    """Count one read of `key` if `meta` (a WSGI environ or request.META) is a reader's."""
    if not is_reader(meta):
        return
    day = timezone.localdate()
    domain = referrer_domain(meta)
    with _lock:
        _views[key, day] += 1
        if domain is not None:
            _referrers[key, day, domain] += 1
    _start_flusher()


def pending() -> tuple[dict, dict]:
    """What this process has counted and not written yet (for tests and the exit hook)."""
    with _lock:
        return dict(_views), dict(_referrers)


def discard() -> None:
    """Forget the unwritten counts (tests start from nothing)."""
    with _lock:
        _views.clear()
        _referrers.clear()


def flush() -> int:
    """Write this process's counts: one statement per table per BATCH_ROWS rows.

    Returns the number of reads written. Should the database refuse, the counts go back into
    the buffer for the next flush.
    """
    with _lock:
        views, referrers = dict(_views), dict(_referrers)
        _views.clear()
        _referrers.clear()
    if not views:
        return 0
    from core.models import PageViewDay, ReferrerDay

    try:
        with transaction.atomic():
            _add(
                PageViewDay,
                ("key", "day"),
                [(key, day, n) for (key, day), n in sorted(views.items())],
            )
            _add(
                ReferrerDay,
                ("key", "day", "domain"),
                [(key, day, domain, n) for (key, day, domain), n in sorted(referrers.items())],
            )
    except Exception:
        log.exception("page views not written; kept for the next flush")
        with _lock:
            _views.update(views)
            _referrers.update(referrers)
        return 0
    return sum(views.values())


def _add(model, unique: tuple[str, ...], rows: list[tuple]) -> None:
    """INSERT … ON CONFLICT DO UPDATE adding to the stored count (SQLite 3.24+, PostgreSQL)."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(name) for name in (*unique, "views"))
    conflict = ", ".join(quote(name) for name in unique)
    views = quote("views")
    row_sql = "(" + ", ".join(["%s"] * (len(unique) + 1)) + ")"
    day_at = unique.index("day")
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH_ROWS):
            batch = rows[start : start + BATCH_ROWS]
            params = []
            for row in batch:
                row = list(row)
                row[day_at] = connection.ops.adapt_datefield_value(row[day_at])
                params.extend(row)
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {', '.join([row_sql] * len(batch))} "
                f"ON CONFLICT ({conflict}) DO UPDATE SET {views} = {table}.{views} + "
                f"EXCLUDED.{views}",
                params,
            )


def _start_flusher() -> None:
    """One background thread per process: a forked worker starts its own at its first count."""
    seconds = settings.PAGE_VIEWS_FLUSH_SECONDS
    if seconds <= 0 or _flusher["pid"] == os.getpid():
        return
    with _lock:
        if _flusher["pid"] == os.getpid():
            return
        _flusher["pid"] = os.getpid()
    threading.Thread(target=_flush_every, args=(seconds,), name="page-views", daemon=True).start()


def _flush_every(seconds: float) -> None:
    """Flush, sleep, flush; reads the setting each time and stops when it becomes 0."""
    from django.db import close_old_connections

    while True:
        time.sleep(seconds)
        seconds = settings.PAGE_VIEWS_FLUSH_SECONDS
        if seconds <= 0:
            _flusher["pid"] = None
            connection.close()  # this thread's own connection
            return
        try:
            flush()
        finally:
            close_old_connections()


def flush_at_exit() -> None:
    """Write what is left as the process stops (atexit, and gunicorn's worker_exit hook)."""
    if _views:
        flush()


atexit.register(flush_at_exit)
