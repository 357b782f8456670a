"""Fixtures: the fake Discord API, a real store with the seed digest, a logged-in front end.

Each test gets its own fake REST server on 127.0.0.1 and its own front end whose REST base
points at it; at teardown the fake must have seen no request that breaks Discord's API
description, the message limits or the no-ping rule.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import discord.http
import discord.webhook.async_
import pytest

from bench import synthetic
from bot.context import Context, open_context
from bot.core.digest_files import load_dir
from bot.frontends.discord import hooks
from bot.frontends.discord.client import DiscordFrontend
from bot.settings import REPO_ROOT, Secret, Settings
from tests.frontends.discord.fake_discord import FakeDiscord
from tests.frontends.discord.limits import CALLBACK

SEED = REPO_ROOT / "summaries"


@pytest.fixture(scope="session")
def seed_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store loaded once from summaries/; tests copy it."""
    path = tmp_path_factory.mktemp("seed") / "seed.db"
    ctx = open_context(Settings(db_path=path, summaries_dir=SEED))
    ctx.store.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    ctx.close()
    return path


@pytest.fixture
def settings(tmp_path: Path, seed_db: Path) -> Settings:
    db_path = tmp_path / "briefbot.db"
    shutil.copy(seed_db, db_path)
    return Settings(db_path=db_path, summaries_dir=SEED, discord_token=Secret("test-token"))


@pytest.fixture
def ctx(settings: Settings) -> Iterator[Context]:
    context = open_context(settings, load_if_empty=False)
    yield context
    context.close()


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    await server.start()
    yield server
    await server.close()
    assert server.violations == [], "requests Discord would refuse:\n" + "\n".join(server.violations)


@pytest.fixture
async def frontend(fake: FakeDiscord, ctx: Context, settings: Settings) -> AsyncIterator[DiscordFrontend]:
    previous = hooks.api_base()
    s = settings.with_(**{"discord_api_base": fake.base})
    bot = DiscordFrontend(ctx, s)
    await bot.start(connect=False)
    yield bot
    await bot.close()
    discord.http.Route.BASE = previous


AddArticles = Callable[[Iterable[synthetic.Article]], None]


@pytest.fixture
def add_articles(ctx: Context, tmp_path: Path) -> AddArticles:
    """Load synthetic articles (`bench.synthetic`) into the test's store through the real loader."""

    def add(articles: Iterable[synthetic.Article]) -> None:
        folder = tmp_path / "synthetic"
        names = synthetic.write_articles(folder, articles)
        report = load_dir(ctx.store, folder, only=names, workers=1)
        assert report.ok and len(report.loaded) == len(names), report.errors[:3]
        ctx.reload_speakers()

    return add


class BackoffClock:
    """Stands in for discord.py's asyncio.sleep in its retry paths: records, does not wait."""

    def __init__(self) -> None:
        self.sleeps: list[float] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(asyncio, name)

    async def sleep(self, delay: float, result: Any = None) -> Any:
        self.sleeps.append(delay)
        await asyncio.sleep(0)
        return result


@pytest.fixture
def backoff(monkeypatch: pytest.MonkeyPatch) -> BackoffClock:
    clock = BackoffClock()
    monkeypatch.setattr(discord.http, "asyncio", clock)
    monkeypatch.setattr(discord.webhook.async_, "asyncio", clock)
    return clock


async def interact(
    bot: DiscordFrontend, fake: FakeDiscord, payload: dict[str, Any], *, expect: int = 1
) -> dict[str, Any]:
    """Feed one interaction and return the body of the callback it produced."""
    before = len(fake.sent("POST", CALLBACK))
    bot.feed(payload)
    sent = await fake.wait_for(before + expect, "POST", CALLBACK)
    return sent[-1].body
