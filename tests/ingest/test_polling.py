"""Feed polls that isolate failures: every feed and every entry in its own error boundary, every
feed's outcome recorded, feeds polled side by side so a slow one delays no other."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.core.db import Store
from bot.ingest import storage
from bot.ingest.fetch import Fetcher, FetchResult
from bot.ingest.polling import poll_feeds
from bot.settings import Settings
from tests.ingest.conftest import LocalServer

START = dt.datetime(2026, 11, 24, 8, 0, tzinfo=dt.UTC)


async def test_a_poisoned_feed_stores_its_good_entry_and_the_next_feed_is_polled(
    server: LocalServer, db: Store, settings: Settings
) -> None:
    quick = settings.with_(fetch_timeout_s=0.5)
    poisoned, _ = storage.add_feed(db, f"{server.base}/feed/poisoned.xml", START)
    good, _ = storage.add_feed(db, f"{server.base}/feed/conditional.xml", START)
    async with Fetcher(quick, retries=0) as fetcher:
        results = await poll_feeds(db, quick, lambda: START, fetcher=fetcher)
    by_feed = {r.feed_id: r for r in results}
    assert by_feed[poisoned.id].status == "ok" and by_feed[poisoned.id].new_articles == 1
    assert (
        by_feed[poisoned.id].refused_entries == 5
    )  # bomb, bad port, bad redirect, slowloris, png ("http://[::1" is skipped)
    assert by_feed[good.id].status == "ok" and by_feed[good.id].new_articles == 1
    titles = {r[0] for r in db.execute("SELECT publisher FROM articles")}
    assert "Good Herald" in titles
    for feed in (poisoned, good):  # both recorded: their next poll is scheduled
        state = storage.get_feed(db, feed.id)
        assert state is not None and state.failures == 0 and state.next_poll_at is not None


class GatedFetcher:
    """A fetcher whose answer for one feed waits on a gate; the others answer at once."""

    def __init__(self, slow_url: str, body: bytes) -> None:
        self.slow_url = slow_url
        self.gate = asyncio.Event()
        self.body = body

    async def fetch(self, url: str, **kw: object) -> FetchResult:
        if url == self.slow_url:
            await self.gate.wait()
        return FetchResult(url, url, 200, "application/rss+xml", "utf-8", self.body)


async def test_one_slow_feed_delays_no_other(db: Store, settings: Settings) -> None:
    empty_feed = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Quiet</title></channel></rss>'
    slow, _ = storage.add_feed(db, "https://slow.example/feed.xml", START)
    fast, _ = storage.add_feed(db, "https://fast.example/feed.xml", START)
    fetcher = GatedFetcher(slow.url, empty_feed)
    poll = asyncio.create_task(poll_feeds(db, settings, lambda: START, fetcher=fetcher))  # type: ignore[arg-type]
    for _ in range(200):  # the fast feed's poll is recorded while the slow one still waits
        await asyncio.sleep(0)
        state = storage.get_feed(db, fast.id)
        if state is not None and state.last_polled_at:
            break
        await asyncio.to_thread(lambda: None)
    assert storage.get_feed(db, fast.id).last_polled_at is not None  # type: ignore[union-attr]
    assert storage.get_feed(db, slow.id).last_polled_at is None  # type: ignore[union-attr]
    fetcher.gate.set()
    results = await poll
    assert {r.feed_id: r.status for r in results} == {slow.id: "ok", fast.id: "ok"}


class ExplodingIngestor:
    """An ingestor that fails in a way the pipeline never anticipated."""

    async def ingest_entries(self, *args: object, **kwargs: object) -> list[object]:
        raise RuntimeError("boom")

    def close(self) -> None:
        return None


async def test_an_unexpected_failure_is_recorded_with_backoff_not_raised(
    server: LocalServer, db: Store, settings: Settings
) -> None:
    feed, _ = storage.add_feed(db, f"{server.base}/feed/conditional.xml", START)
    async with Fetcher(settings, retries=0) as fetcher:
        [result] = await poll_feeds(
            db,
            settings,
            lambda: START,
            fetcher=fetcher,
            ingestor=ExplodingIngestor(),  # type: ignore[arg-type]
        )
    assert result.status == "failed" and result.error == "internal error: RuntimeError"
    state = storage.get_feed(db, feed.id)
    assert state is not None and state.failures == 1 and state.next_poll_at == "2026-11-24T09:00:00+00:00"


def test_feeds_poll_command_over_the_poisoned_feed(server: LocalServer, tmp_path: Path, monkeypatch) -> None:
    env = {
        "BRIEFBOT_DB": str(tmp_path / "cli.db"),
        "BRIEFBOT_SUMMARIES": str(tmp_path / "summaries"),
        "BRIEFBOT_ALLOW_PRIVATE_URLS": "1",
        "BRIEFBOT_FETCH_TIMEOUT": "0.5",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(cli, ["feeds", "add", "--no-check", f"{server.base}/feed/poisoned.xml"]).exit_code == 0
    assert runner.invoke(cli, ["feeds", "add", "--no-check", f"{server.base}/feed/bbc.xml"]).exit_code == 0
    polled = runner.invoke(cli, ["feeds", "poll"])
    assert polled.exit_code == 0, polled.output
    assert "feed 1 ok: 1 new" in polled.output and "feed 2 ok: 3 new" in polled.output
    assert "Traceback" not in polled.output
    listed = runner.invoke(cli, ["feeds", "list", "--json"])
    assert [json.loads(line)["failures"] for line in listed.output.splitlines()] == [0, 0]


@pytest.mark.parametrize("link", ["http://[::1", "http://[::1/", "javascript:alert(1)"])
async def test_entries_with_unusable_links_are_skipped_or_refused(db: Store, settings: Settings, link: str) -> None:
    from bot.ingest.feeds import parse_feed
    from bot.ingest.pipeline import Ingestor

    feed = f'<rss version="2.0"><channel><title>T</title><item><link>{link}</link></item></channel></rss>'
    parsed = parse_feed(feed.encode())
    async with Fetcher(settings, retries=0) as fetcher:
        results = await Ingestor(db, settings, fetcher=fetcher).ingest_entries(parsed, feed_id=None, skip_known=False)
    assert all(r.status == "refused" for r in results)
