"""One store, four users at once, 1,000 operations each: no error, every entry stored.

The way the running bot uses its store: Discord's answers (and `/subscribe`) on the store's
reader threads, the scheduler's outbox in the event loop's thread, a feed poll deciding and
writing articles on the store's writer thread (`Ingestor._save`, the real path), and digest files
loaded by another thread (an editor's `briefbot load` in the same process). Each thread has its
own connection; writes queue on SQLite's lock instead of meeting inside one connection.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from pathlib import Path

from bot.commands import Caller, Command, execute
from bot.context import Context
from bot.core import articles
from bot.core.models import ArticleDigest, ArticleMeta, KeyPoint, Review, Span
from bot.core.subscriptions import Subscription
from bot.ingest.documents import ReadDocument
from bot.ingest.fetch import FetchResult
from bot.ingest.pipeline import Ingestor
from bot.schedule import outbox

N = 1000
START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _entry(i: int) -> tuple[ReadDocument, FetchResult]:
    text = f"Feed entry {i}: " + " ".join(f"word{i}x{j}" for j in range(60)) + "."
    doc = ReadDocument(f"Entry {i}", None, dt.date(2026, 1, 1), "Feed Daily", None, "en", text, (), "page")
    url = f"https://feed.example/{i}"
    return doc, FetchResult(url, url, 200, "text/html", "utf-8", text.encode())


def _digest(i: int) -> ArticleDigest:
    text = f"Loaded article {i} says the front moved near Bakhmut on day {i}."
    meta = ArticleMeta(f"loaded-{i}", f"Loaded {i}", "Desk", dt.date(2025, 12, 31), f"https://desk.example/{i}")
    return ArticleDigest(meta, text, Review.REVIEWED, key_points=(KeyPoint("k1", Span(0, len(text), text)),))


async def test_front_ends_scheduler_feed_poll_and_loader_share_one_store(ctx: Context, tmp_path: Path) -> None:
    store = ctx.store
    errors: list[BaseException] = []
    caller = Caller(platform="discord", workspace="g1", channel="c0", user="u", can_manage=True)
    questions = [
        Command("status", {"region": "Donetsk"}),
        Command("quote", {"speaker": "Peskov"}),
        Command("digest"),
        Command("subscribe", {"time": "07:30", "timezone": "Europe/Kyiv", "channel": "c{}"}),
        Command("sources"),
    ]

    async def discord_worker() -> None:
        for i in range(N):
            command = questions[i % len(questions)]
            if command.name == "subscribe":
                command = Command("subscribe", {**command.args, "channel": f"c{i}"})
            answer = await store.run(execute, ctx, command, caller)
            assert type(answer).__name__ != "Notice" or answer.ok, answer  # type: ignore[union-attr]

    async def scheduler() -> None:
        sub = Subscription(1, "discord", "g1", "digest-channel", "08:00", "UTC", "u", True)
        for i in range(N):
            day = dt.date(2026, 1, 1) + dt.timedelta(days=i)
            won = outbox.claim(store, sub, local_date=day, slot_at=START, key=f"k{i}", owner="run", now=START)
            assert won.won
            outbox.mark_sending(store, won.row.id, owner="run", since=None, now=START)
            outbox.mark_posted(store, won.row.id, f"m{i}", now=START)
            await asyncio.sleep(0)

    async def feed_poll() -> None:
        ingestor = Ingestor(store, ctx.settings, export_skeletons=False, clock=lambda: START)
        for i in range(N):
            doc, fetched = _entry(i)
            result = await ingestor._save(
                fetched.url, doc, fetched, fetch_status="200", feed_id=None, entry=None, feed_outlet=None
            )
            assert result.status == "new", result

    def loader() -> None:
        try:
            for i in range(N):
                articles.write_digest(store, _digest(i), f"hash-{i}", START.isoformat())
        except BaseException as exc:  # reported to the test below
            errors.append(exc)

    # Nothing the running bot does changes the schema: a table created and dropped by one thread
    # (sqlite-utils' probe before its first upsert on a connection) made another thread's first
    # statement fail with "no such table: articles" about one run in eight.
    schema_version = store.one("PRAGMA schema_version")
    thread = threading.Thread(target=loader)
    thread.start()
    await asyncio.gather(discord_worker(), scheduler(), feed_poll())
    await asyncio.to_thread(thread.join)
    assert errors == []
    assert store.one("PRAGMA schema_version") == schema_version
    count = lambda sql: store.one(sql)[0]  # noqa: E731
    assert count("SELECT count(*) FROM articles WHERE id LIKE 'loaded-%'") == N
    assert count("SELECT count(*) FROM articles WHERE url LIKE 'https://feed.example/%'") == N
    assert count("SELECT count(*) FROM article_urls WHERE url LIKE 'https://feed.example/%'") == N
    assert count("SELECT count(*) FROM digest_posts WHERE status = 'posted'") == N
    assert count("SELECT count(*) FROM subscriptions WHERE platform = 'discord'") == N // len(questions)
    assert count("SELECT count(*) FROM key_points WHERE article_id LIKE 'loaded-%'") == N
