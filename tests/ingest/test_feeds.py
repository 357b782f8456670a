"""Feeds: parsing the real BBC and NYT snapshots, and polling with conditional GET and backoff."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from bot.core.db import Store
from bot.ingest import storage
from bot.ingest.feeds import FeedError, parse_feed
from bot.ingest.fetch import Fetcher
from bot.ingest.polling import next_poll_after, poll_feeds, schedule_feed_polls
from bot.settings import Settings
from tests.ingest.conftest import BBC_FEED, NYT_FEED, LocalServer


def test_real_feeds_parse() -> None:
    bbc = parse_feed(BBC_FEED.read_bytes())
    nyt = parse_feed(NYT_FEED.read_bytes())
    assert bbc.title == "BBC News"  # CDATA padded with spaces in the file
    assert len(bbc.entries) == 50  # 54 items, 4 of them repeat another item's link
    assert len(nyt.entries) == 60
    assert all(e.link.startswith("https://") for e in bbc.entries + nyt.entries)
    assert bbc.entries[0].published == dt.date(2024, 8, 8)
    assert {e.published for e in nyt.entries if e.published} <= {dt.date(2024, 8, d) for d in range(1, 9)}


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "empty feed"),
        (b"<rss><channel><title>x</title><item><title>a", "malformed feed"),
        (b"just some words", "malformed feed|not a feed"),
    ],
)
def test_bad_feeds_refused(data: bytes, message: str) -> None:
    with pytest.raises(FeedError, match=message):
        parse_feed(data)


def test_json_feed() -> None:
    data = (
        b'{"version": "https://jsonfeed.org/version/1.1", "title": "Wire", "items": ['
        b'{"id": "1", "url": "https://wire.example/a?utm_source=rss", "title": "A",'
        b' "date_published": "2024-08-08T10:00:00Z"},'
        b'{"id": "2", "url": "https://wire.example/a", "title": "A again"}]}'
    )
    parsed = parse_feed(data)
    assert parsed.title == "Wire"
    assert parsed.entries[0].published == dt.date(2024, 8, 8)
    assert [e.link for e in parsed.entries] == ["https://wire.example/a?utm_source=rss"]  # same canonical URL once


def test_backoff_doubles_and_is_capped(settings: Settings) -> None:
    now = dt.datetime(2026, 11, 24, tzinfo=dt.UTC)
    s = settings.with_(feed_poll_minutes=30)
    assert next_poll_after(now, s, 0) == now + dt.timedelta(minutes=30)
    assert next_poll_after(now, s, 1) == now + dt.timedelta(minutes=60)
    assert next_poll_after(now, s, 3) == now + dt.timedelta(minutes=240)
    assert next_poll_after(now, s, 12) == now + dt.timedelta(days=1)


async def test_poll_conditional_get_and_schedule(server: LocalServer, db: Store, settings: Settings) -> None:
    start = dt.datetime(2026, 11, 24, 8, 0, tzinfo=dt.UTC)
    url = f"{server.base}/feed/conditional.xml"
    feed, _ = storage.add_feed(db, url, start)
    with time_machine.travel(start, tick=False):
        async with Fetcher(settings, backoff_base_s=0, retries=0) as fetcher:
            first = await poll_feeds(db, settings, lambda: dt.datetime.now(dt.UTC), fetcher=fetcher)
    assert [(r.status, r.new_articles) for r in first] == [("ok", 1)]
    stored = storage.get_feed(db, feed.id)
    assert stored is not None and stored.etag == '"v1"'
    assert stored.last_modified == "Thu, 08 Aug 2024 19:20:58 GMT"
    assert stored.title == "BBC News"
    assert stored.next_poll_at == "2026-11-24T08:30:00+00:00"
    row = db.execute("SELECT feed_id, date_source FROM articles").fetchone()
    assert row == (feed.id, "page")

    # Not due yet: nothing fetched.
    hits = server.hits.counts["/feed/conditional.xml"]
    with time_machine.travel(start + dt.timedelta(minutes=10), tick=False):
        assert await poll_feeds(db, settings, lambda: dt.datetime.now(dt.UTC)) == []
    assert server.hits.counts["/feed/conditional.xml"] == hits

    # Due: the validators are sent and the server answers 304.
    with time_machine.travel(start + dt.timedelta(minutes=31), tick=False):
        async with Fetcher(settings, backoff_base_s=0, retries=0) as fetcher:
            second = await poll_feeds(db, settings, lambda: dt.datetime.now(dt.UTC), fetcher=fetcher)
    assert [(r.status, r.error) for r in second] == [("not_modified", None)]
    sent = server.hits.headers["/feed/conditional.xml"]
    assert sent["If-None-Match"] == '"v1"'
    assert sent["If-Modified-Since"] == "Thu, 08 Aug 2024 19:20:58 GMT"
    assert sent["User-Agent"] == settings.user_agent
    assert db["articles"].count == 1


async def test_failing_feed_backs_off_and_recovers_count(server: LocalServer, db: Store, settings: Settings) -> None:
    start = dt.datetime(2026, 11, 24, 8, 0, tzinfo=dt.UTC)
    feed, _ = storage.add_feed(db, f"{server.base}/feed/flaky.xml", start)
    now = start
    for failures, wait_minutes in ((1, 60), (2, 120)):
        async with Fetcher(settings, backoff_base_s=0, retries=0) as fetcher:
            [result] = await poll_feeds(db, settings, lambda at=now: at, fetcher=fetcher)
        assert result.status == "failed"
        assert result.error == "HTTP 503 from 127.0.0.1"
        state = storage.get_feed(db, feed.id)
        assert state is not None and state.failures == failures
        assert result.next_poll_at == now + dt.timedelta(minutes=wait_minutes)
        now = result.next_poll_at
    # The feed comes back: the failure count resets.
    db.write(lambda d: d["feeds"].update(feed.id, {"url": f"{server.base}/feed/conditional.xml"}))
    async with Fetcher(settings, backoff_base_s=0, retries=0) as fetcher:
        [ok] = await poll_feeds(db, settings, lambda: now, fetcher=fetcher)
    assert ok.status == "ok"
    state = storage.get_feed(db, feed.id)
    assert state is not None and state.failures == 0 and state.last_error is None


async def test_poll_skips_known_entries(server: LocalServer, db: Store, settings: Settings) -> None:
    start = dt.datetime(2026, 11, 24, 8, 0, tzinfo=dt.UTC)
    storage.add_feed(db, f"{server.base}/feed/bbc.xml", start)
    async with Fetcher(settings, backoff_base_s=0, retries=0) as fetcher:
        [first] = await poll_feeds(db, settings, lambda: start, fetcher=fetcher)
    assert first.new_articles == 3
    page_hits = sum(v for k, v in server.hits.counts.items() if k.startswith("/html/"))
    later = start + dt.timedelta(hours=1)
    async with Fetcher(settings, backoff_base_s=0, retries=0) as fetcher:
        [second] = await poll_feeds(db, settings, lambda: later, fetcher=fetcher)
    assert second.new_articles == 0
    # stored entries are not fetched again
    assert sum(v for k, v in server.hits.counts.items() if k.startswith("/html/")) == page_hits
    assert db["articles"].count == 3


async def test_registered_on_apscheduler_and_polls(server: LocalServer, db: Store, settings: Settings) -> None:
    """The job the scheduler runs: registered on a real AsyncIOScheduler, run once by hand."""
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    start = dt.datetime(2026, 11, 24, 8, 0, tzinfo=dt.UTC)
    storage.add_feed(db, f"{server.base}/feed/conditional.xml", start)
    scheduler = AsyncIOScheduler(timezone=dt.UTC)
    schedule_feed_polls(scheduler, db, settings, lambda: start)
    job = scheduler.get_job("feed-poll")
    assert job is not None
    assert job.trigger.interval == dt.timedelta(minutes=1)
    assert job.max_instances == 1 and job.coalesce
    results = await job.func(*job.args)
    assert [(r.status, r.new_articles) for r in results] == [("ok", 1)]
