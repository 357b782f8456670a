"""Polling the followed feeds: the job the scheduler runs every minute for the feeds that are due.

Each feed is polled in its own error boundary, and each of its entries in its own: whatever one
feed or one entry raises, the other feeds are polled, the other entries stored, and every feed's
outcome is recorded (with exponential backoff after failures, capped at a day). Feeds are
polled concurrently under a bound (`fetch_concurrency`), so one slow feed delays no other; the
fetcher's own deadline bounds each fetch. Conditional GET (ETag / Last-Modified) makes a poll
of an unchanged feed one small request.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.core.db import Store
from bot.ingest import storage
from bot.ingest.feeds import FeedError, parse_feed
from bot.ingest.fetch import Fetcher, FetchError
from bot.ingest.pipeline import Ingestor, IngestResult
from bot.settings import Settings

log = logging.getLogger(__name__)

MAX_BACKOFF = dt.timedelta(days=1)


@dataclass(frozen=True, slots=True)
class PollResult:
    feed_id: int
    url: str
    status: str  # not_modified | ok | failed
    new_articles: int = 0
    error: str | None = None
    next_poll_at: dt.datetime | None = None
    refused_entries: int = 0


def next_poll_after(now: dt.datetime, settings: Settings, failures: int) -> dt.datetime:
    """The regular interval, doubled for every consecutive failure, at most a day."""
    interval = dt.timedelta(minutes=settings.feed_poll_minutes)
    if failures > 0:
        interval = min(interval * (2 ** min(failures, 10)), MAX_BACKOFF)
    return now + interval


async def poll_feeds(
    store: Store,
    settings: Settings,
    clock: Callable[[], dt.datetime],
    *,
    fetcher: Fetcher | None = None,
    ingestor: Ingestor | None = None,
) -> list[PollResult]:
    """Poll every followed feed that is due; never raises for a feed's or an entry's failure."""
    now = clock()
    feeds = await store.run(storage.due_feeds, store, now)
    if not feeds:
        return []
    own_fetcher = fetcher is None
    active = fetcher or Fetcher(settings)
    if own_fetcher:
        await active.__aenter__()
    ingest = ingestor or Ingestor(store, settings, clock=clock, fetcher=active)
    bound = asyncio.Semaphore(max(1, settings.fetch_concurrency))

    async def one(feed: storage.Feed) -> PollResult:
        async with bound:
            return await _poll_one(store, settings, clock, ingest, active, feed)

    try:
        return list(await asyncio.gather(*(one(feed) for feed in feeds)))
    finally:
        if ingestor is None:
            await asyncio.get_running_loop().run_in_executor(None, ingest.close)
        if own_fetcher:
            await active.__aexit__(None, None, None)


async def _record(store: Store, feed_id: int, **values: Any) -> None:
    await store.run_write(storage.record_poll, store, feed_id, **values)


async def _failed(store: Store, settings: Settings, feed: storage.Feed, now: dt.datetime, error: str) -> PollResult:
    nxt = next_poll_after(now, settings, feed.failures + 1)
    await _record(store, feed.id, now=now, next_poll=nxt, status="failed", error=error)
    return PollResult(feed.id, feed.url, "failed", error=error, next_poll_at=nxt)


async def _poll_one(
    store: Store,
    settings: Settings,
    clock: Callable[[], dt.datetime],
    ingestor: Ingestor,
    fetcher: Fetcher,
    feed: storage.Feed,
) -> PollResult:
    now = clock()
    try:
        fetched = await fetcher.fetch(feed.url, etag=feed.etag, last_modified=feed.last_modified)
        if fetched.not_modified:
            nxt = next_poll_after(now, settings, 0)
            await _record(store, feed.id, now=now, next_poll=nxt, status="304 not modified")
            return PollResult(feed.id, feed.url, "not_modified", next_poll_at=nxt)
        parsed = await asyncio.to_thread(parse_feed, fetched.body, fetched.final_url)
        results: list[IngestResult] = await ingestor.ingest_entries(parsed, feed_id=feed.id, skip_known=True)
    except (FetchError, FeedError) as exc:
        return await _failed(store, settings, feed, now, str(exc))
    except Exception as exc:  # a scheduled job must never die of one feed
        log.exception("polling feed %s failed", feed.url)
        return await _failed(store, settings, feed, now, f"internal error: {type(exc).__name__}")
    nxt = next_poll_after(clock(), settings, 0)
    await _record(
        store,
        feed.id,
        now=now,
        next_poll=nxt,
        status=f"{fetched.status} ok",
        etag=fetched.etag,
        last_modified=fetched.last_modified,
        title=parsed.title,
    )
    new = sum(1 for r in results if r.status == "new")
    refused = sum(1 for r in results if r.status == "refused")
    return PollResult(feed.id, feed.url, "ok", new_articles=new, next_poll_at=nxt, refused_entries=refused)


def schedule_feed_polls(scheduler: Any, store: Store, settings: Settings, clock: Callable[[], dt.datetime]) -> None:
    """Register the feed poll on the bot's APScheduler (AsyncIOScheduler), next to the digests.

    The job ticks every minute and polls only the feeds that are due: each feed keeps its own
    next poll time (every BRIEFBOT_FEED_POLL_MINUTES, later after failures), so a tick with
    nothing due is one SELECT. One poll at a time (max_instances=1); missed ticks coalesce.
    """
    scheduler.add_job(
        poll_feeds,
        "interval",
        minutes=1.0,
        args=(store, settings, clock),
        id="feed-poll",
        replace_existing=True,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=None,
    )
