"""RSS, Atom and JSON feeds: recognising and parsing them, and polling the followed ones.

Owns `parse_feed` (feedparser: the maintained parser that copes with RSS 0.9x-2.0, Atom,
RDF, JSON Feed, CDATA padding and the date formats outlets really use) and `poll_feeds`, the
job the scheduler runs every `feed_poll_minutes`: conditional GET (ETag / Last-Modified), new
entries ingested, and a failing feed backed off exponentially (capped at one day).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import feedparser
import sqlite_utils

from bot.ingest import storage
from bot.ingest.dedupe import canonical_url
from bot.ingest.fetch import FetchError
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.ingest.pipeline import IngestResult

log = logging.getLogger(__name__)

MAX_BACKOFF = dt.timedelta(days=1)
FEED_TYPES = {
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/feed+json",
}
_FEED_SNIFF = re.compile(rb"<(rss|feed|rdf:RDF)[\s>]", re.IGNORECASE)
_JSON_FEED_SNIFF = re.compile(rb'"version"\s*:\s*"https?://jsonfeed\.org', re.IGNORECASE)


class FeedError(ValueError):
    """A document that should be a feed cannot be read as one; one-line reason."""


@dataclass(frozen=True, slots=True)
class FeedEntry:
    link: str
    title: str | None
    published: dt.date | None
    author: str | None


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    title: str | None
    entries: tuple[FeedEntry, ...]


def looks_like_feed(data: bytes, content_type: str = "") -> bool:
    if content_type in FEED_TYPES:
        return True
    head = data[:2048].lstrip()
    if _JSON_FEED_SNIFF.search(head):
        return True
    if content_type in {"text/html", "application/xhtml+xml"}:
        return False
    return bool(_FEED_SNIFF.search(head))


def _entry_date(entry: Any) -> dt.date | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if isinstance(value, time.struct_time):
            return dt.date(value.tm_year, value.tm_mon, value.tm_mday)
    return None


def _unique_entries(candidates: list[FeedEntry]) -> tuple[FeedEntry, ...]:
    entries: list[FeedEntry] = []
    seen: set[str] = set()
    for entry in candidates:
        if not entry.link.startswith(("http://", "https://")):
            continue
        try:
            key = canonical_url(entry.link)
        except ValueError:
            continue
        if key not in seen:
            seen.add(key)
            entries.append(entry)
    return tuple(entries)


def _parse_json_feed(data: bytes) -> ParsedFeed:
    """JSON Feed 1.0/1.1 (jsonfeed.org), which feedparser does not read."""
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FeedError(f"malformed JSON feed: {str(exc)[:120]}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("items"), list):
        raise FeedError("malformed JSON feed: no items list")
    candidates = []
    for item in doc["items"]:
        if not isinstance(item, dict):
            continue
        link = str(item.get("url") or item.get("external_url") or "").strip()
        published = None
        raw_date = str(item.get("date_published") or item.get("date_modified") or "")
        try:
            published = dt.date.fromisoformat(raw_date[:10]) if raw_date else None
        except ValueError:
            published = None
        authors = item.get("authors") or ([item["author"]] if isinstance(item.get("author"), dict) else [])
        names = [str(a.get("name")) for a in authors if isinstance(a, dict) and a.get("name")]
        title = str(item.get("title") or "").strip() or None
        candidates.append(FeedEntry(link, title, published, ", ".join(names) or None))
    title = str(doc.get("title") or "").strip() or None
    return ParsedFeed(title=title, entries=_unique_entries(candidates))


def parse_feed(data: bytes, base_url: str | None = None) -> ParsedFeed:
    """Parse a feed document; entries without an http(s) link are skipped."""
    if not data.strip():
        raise FeedError("empty feed")
    if _JSON_FEED_SNIFF.search(data[:2048]):
        return _parse_json_feed(data)
    parsed = feedparser.parse(data, response_headers={"content-location": base_url} if base_url else None)
    if parsed.get("bozo") and not parsed.entries:
        reason = parsed.get("bozo_exception")
        raise FeedError(f"malformed feed: {str(reason).splitlines()[0][:160] if reason else 'unreadable'}")
    if not parsed.get("version") and not parsed.entries:
        raise FeedError("not a feed (no RSS, Atom or JSON Feed structure found)")
    candidates = [
        FeedEntry(
            link=(entry.get("link") or "").strip(),
            title=(entry.get("title") or "").strip() or None,
            published=_entry_date(entry),
            author=(entry.get("author") or "").strip() or None,
        )
        for entry in parsed.entries
    ]
    entries = _unique_entries(candidates)
    if parsed.get("bozo") and not entries:
        reason = parsed.get("bozo_exception")
        raise FeedError(f"malformed feed: {str(reason).splitlines()[0][:160] if reason else 'unreadable'}")
    title = (parsed.feed.get("title") or "").strip() or None
    return ParsedFeed(title=title, entries=entries)


# --------------------------------------------------------------------------------------------
# Polling the followed feeds


@dataclass(frozen=True, slots=True)
class PollResult:
    feed_id: int
    url: str
    status: str  # not_modified | ok | failed
    new_articles: int = 0
    error: str | None = None
    next_poll_at: dt.datetime | None = None


def next_poll_after(now: dt.datetime, settings: Settings, failures: int) -> dt.datetime:
    """The regular interval, doubled for every consecutive failure, at most a day."""
    interval = dt.timedelta(minutes=settings.feed_poll_minutes)
    if failures > 0:
        interval = min(interval * (2 ** min(failures, 10)), MAX_BACKOFF)
    return now + interval


def _database(ctx_or_db: Any) -> sqlite_utils.Database:
    return ctx_or_db if isinstance(ctx_or_db, sqlite_utils.Database) else ctx_or_db.db


async def poll_feeds(
    ctx_or_db: Any,
    settings: Settings,
    clock: Callable[[], dt.datetime],
    *,
    fetcher: Any = None,
) -> list[PollResult]:
    """Poll every followed feed that is due; the scheduler calls this every few minutes.

    Never raises for a feed's failure: the failure is counted, its reason stored, and the feed
    is polled again after a backoff. `ctx_or_db` is the bot's Context or a store Database.
    """
    from bot.ingest.fetch import Fetcher
    from bot.ingest.pipeline import Ingestor

    db = _database(ctx_or_db)
    now = clock()
    feeds = storage.due_feeds(db, now)
    if not feeds:
        return []
    results: list[PollResult] = []
    own_fetcher = fetcher is None
    active = Fetcher(settings) if own_fetcher else fetcher
    if own_fetcher:
        await active.__aenter__()
    try:
        ingestor = Ingestor(db, settings, clock=clock, fetcher=active)
        for feed in feeds:
            results.append(await _poll_one(db, settings, clock, ingestor, active, feed))
    finally:
        if own_fetcher:
            await active.__aexit__(None, None, None)
    return results


def _failed(
    db: sqlite_utils.Database, settings: Settings, feed: storage.Feed, now: dt.datetime, error: str
) -> PollResult:
    nxt = next_poll_after(now, settings, feed.failures + 1)
    storage.record_poll(db, feed.id, now=now, next_poll=nxt, status="failed", error=error)
    return PollResult(feed.id, feed.url, "failed", error=error, next_poll_at=nxt)


def schedule_feed_polls(scheduler: Any, ctx: Any, *, tick_minutes: float = 1.0) -> None:
    """Register the feed poll on the bot's APScheduler (AsyncIOScheduler), next to the digests.

    The job ticks every `tick_minutes` and polls only the feeds that are due: each feed keeps its
    own next poll time (every BRIEFBOT_FEED_POLL_MINUTES, later after failures), so a tick with
    nothing due is one SELECT. One poll at a time (max_instances=1); missed ticks coalesce.
    """
    scheduler.add_job(
        poll_feeds,
        "interval",
        minutes=tick_minutes,
        args=(ctx, ctx.settings, ctx.clock),
        id="feed-poll",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=None,
    )


async def _poll_one(
    db: sqlite_utils.Database,
    settings: Settings,
    clock: Callable[[], dt.datetime],
    ingestor: Any,
    fetcher: Any,
    feed: storage.Feed,
) -> PollResult:
    now = clock()
    try:
        fetched = await fetcher.fetch(feed.url, etag=feed.etag, last_modified=feed.last_modified)
        if fetched.not_modified:
            nxt = next_poll_after(now, settings, 0)
            storage.record_poll(db, feed.id, now=now, next_poll=nxt, status="304 not modified")
            return PollResult(feed.id, feed.url, "not_modified", next_poll_at=nxt)
        parsed = parse_feed(fetched.body, fetched.final_url)
    except (FetchError, FeedError) as exc:
        return _failed(db, settings, feed, now, str(exc))
    except Exception as exc:  # a scheduled job must never die of one feed
        log.exception("polling feed %s failed", feed.url)
        return _failed(db, settings, feed, now, f"internal error: {type(exc).__name__}")
    results: list[IngestResult] = await ingestor.ingest_entries(parsed, feed_id=feed.id, skip_known=True)
    nxt = next_poll_after(clock(), settings, 0)
    storage.record_poll(
        db,
        feed.id,
        now=now,
        next_poll=nxt,
        status=f"{fetched.status} ok",
        etag=fetched.etag,
        last_modified=fetched.last_modified,
        title=parsed.title,
    )
    new = sum(1 for r in results if r.status == "new")
    return PollResult(feed.id, feed.url, "ok", new_articles=new, next_poll_at=nxt)
