"""Headlines from news feeds: fetched with a deadline and a size cap, merged by URL.

A feed is someone else's server: it may be slow, huge, broken or gone. Each one is fetched
with an overall deadline (not only a per-read socket timeout, which a server trickling one
byte at a time would never trip) and a size cap, parsed with feedparser, and its failure is
recorded on the feed and logged, never raised: one bad feed must not stop the others, the
worker or the site.
"""

import calendar
import datetime
import logging
import time
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.markup import plain_text
from newsletter.addresses import normalise_url
from newsletter.models import Headline, HeadlineFeed

logger = logging.getLogger(__name__)

USER_AGENT = "opedpress-headlines/1.0 (+https://github.com/opedpress)"
MAX_ENTRIES_PER_FEED = 50


class FeedError(Exception):
    """A feed that could not be fetched or read; the message is shown in the admin."""


def fetch(url: str, *, timeout: float, max_bytes: int) -> bytes:
    """The feed's body, or FeedError: http(s) only, within `timeout` seconds in all."""
    if urlsplit(url).scheme not in {"http", "https"}:
        raise FeedError("Only http and https feeds can be fetched.")
    deadline = time.monotonic() + timeout
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            chunks, size = [], 0
            while chunk := response.read(64 * 1024):
                size += len(chunk)
                if size > max_bytes:
                    raise FeedError(f"The feed is larger than {max_bytes} bytes.")
                if time.monotonic() > deadline:
                    raise FeedError(f"The feed took longer than {timeout:g} s to download.")
                chunks.append(chunk)
    except FeedError:
        raise
    except TimeoutError as err:
        raise FeedError(f"No answer within {timeout:g} s.") from err
    except (OSError, ValueError) as err:  # URLError, HTTPError, refused connections
        raise FeedError(f"Could not fetch the feed: {err}") from err
    return b"".join(chunks)


def _entry_time(entry) -> datetime.datetime | None:
    parsed = entry.get("published_parsed") or entry.get("updated_parsed")
    if not parsed:
        return None
    return datetime.datetime.fromtimestamp(calendar.timegm(parsed), tz=datetime.UTC)


@dataclass
class FeedResult:
    created: int = 0
    merged: int = 0


def read_entries(body: bytes, *, feed: HeadlineFeed, now: datetime.datetime) -> FeedResult:
    """Turn a feed document into candidate headlines; known URLs are merged, not repeated."""
    import feedparser  # a hundred modules only the worker's headline job needs (issue 12)

    parsed = feedparser.parse(body)
    if parsed.bozo and not parsed.entries:
        raise FeedError(f"Not a readable RSS or Atom feed ({parsed.get('bozo_exception')}).")
    oldest = now - datetime.timedelta(days=settings.NEWSLETTER_HEADLINE_MAX_AGE_DAYS)
    result = FeedResult()
    for entry in parsed.entries[:MAX_ENTRIES_PER_FEED]:
        link, title = entry.get("link", ""), plain_text(entry.get("title", ""))
        if not link or not title or urlsplit(link).scheme not in {"http", "https"}:
            continue
        published = _entry_time(entry) or now
        if published < oldest:
            continue
        url = normalise_url(link)
        if len(url) > 600:
            continue
        if Headline.objects.filter(url=url).exists():
            result.merged += 1
            continue
        summary = plain_text(entry.get("summary", ""))
        try:
            with transaction.atomic():
                Headline.objects.create(
                    title=title[:300],
                    url=url,
                    source_name=feed.name,
                    published_at=min(published, now),
                    summary=summary if len(summary) <= 300 else summary[:299] + "…",
                    status=Headline.Status.CANDIDATE,
                    feed=feed,
                )
        except IntegrityError:  # the same story, added by another feed at the same moment
            result.merged += 1
        else:
            result.created += 1
    return result


@dataclass
class ImportReport:
    created: int = 0
    merged: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)


def import_headlines(*, now: datetime.datetime) -> ImportReport:
    """Fetch every active feed once; a failing feed is recorded and skipped."""
    report = ImportReport()
    for feed in HeadlineFeed.objects.filter(active=True):
        try:
            body = fetch(
                feed.url,
                timeout=settings.NEWSLETTER_FEED_TIMEOUT,
                max_bytes=settings.NEWSLETTER_FEED_MAX_BYTES,
            )
            result = read_entries(body, feed=feed, now=now)
        except Exception as err:  # any failure of one feed is that feed's problem only
            message = str(err) if isinstance(err, FeedError) else f"{type(err).__name__}: {err}"
            logger.warning("Headline feed %s skipped: %s", feed.url, message)
            report.failed.append((feed.name, message))
            HeadlineFeed.objects.filter(pk=feed.pk).update(
                last_fetched_at=now, last_error=message[:500]
            )
            continue
        report.created += result.created
        report.merged += result.merged
        HeadlineFeed.objects.filter(pk=feed.pk).update(last_fetched_at=now, last_error="")
    return report


def quick_headline(*, url: str, title: str, source_name: str = "") -> Headline:
    """The admin's quick add: an approved headline, or the existing one for that URL."""
    normalised = normalise_url(url)
    source = source_name.strip() or (urlsplit(normalised).hostname or "").removeprefix("www.")
    headline, _ = Headline.objects.get_or_create(
        url=normalised,
        defaults={"title": title.strip(), "source_name": source, "published_at": timezone.now()},
    )
    if headline.status != Headline.Status.APPROVED:
        headline.status = Headline.Status.APPROVED
        headline.save(update_fields=["status"])
    return headline
