"""Digests through the Discord front end's own client (discord.py) to the Discord team's fake API:
the nonce travels with enforce_nonce, a restart posts nothing more, and `briefbot run` with a
token starts the schedule once the bot is online."""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import discord.http
import pytest

from bot import runner
from bot.context import Context, open_context
from bot.core.db import Store
from bot.core.models import Notice
from bot.delivery import ChannelGone, Forbidden
from bot.frontends.discord import hooks
from bot.frontends.discord.client import DiscordFrontend
from bot.schedule import outbox
from bot.schedule.scheduler import DigestScheduler
from bot.settings import REPO_ROOT, Secret, Settings
from tests.frontends.discord.fake_discord import FakeDiscord
from tests.schedule.fakes import add_sub, subscription

MESSAGES = "/channels/{channel_id}/messages"
CHANNEL = "123456789012345678"


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = FakeDiscord()
    await server.start()
    previous_base, previous_gateway = discord.http.Route.BASE, hooks.set_gateway_url(server.gateway_url)
    yield server
    await server.close()
    discord.http.Route.BASE = previous_base
    hooks.set_gateway_url(previous_gateway)
    assert server.violations == [], "requests Discord would refuse:\n" + "\n".join(server.violations)


@pytest.fixture
def ctx(tmp_path: Path, fake: FakeDiscord) -> AsyncIterator[Context]:
    summaries = tmp_path / "summaries"
    shutil.copytree(REPO_ROOT / "summaries", summaries)
    settings = Settings(
        db_path=tmp_path / "b.db",
        summaries_dir=summaries,
        discord_token=Secret("test-token"),
        discord_api_base=fake.base,
    )
    context = open_context(settings)
    yield context
    context.close()


def _due_a_minute_ago(ctx: Context) -> None:
    """A subscription whose slot passed a minute ago: posted on start (within the grace window)."""
    now = dt.datetime.now(dt.UTC)
    add_sub(
        ctx.store, CHANNEL, (now - dt.timedelta(minutes=1)).strftime("%H:%M"), "UTC", created=now - dt.timedelta(days=1)
    )


async def test_the_front_end_posts_a_due_digest_once_with_its_nonce(fake, ctx, schedulers):
    _due_a_minute_ago(ctx)
    frontend = DiscordFrontend(ctx, sync_commands=False)
    deliverers = {"discord": frontend}
    await frontend.start(connect=False)
    try:
        for _ in range(2):  # start, then a restart: one post
            sched = DigestScheduler.from_context(ctx, deliverers, resync_seconds=None)
            schedulers.append(sched)
            await sched.start()
            await sched.settle()
            sched.shutdown()
    finally:
        await frontend.close()
    posts = fake.sent("POST", MESSAGES)
    assert {p.path for p in posts} == {f"/channels/{CHANNEL}/messages"}
    rows = outbox.rows_for_channel(Store(ctx.settings.db_path), "discord", "g1", CHANNEL)
    assert len(rows) == 1 and rows[0].status == "posted"
    # one digest: its first message carries the slot's nonce (later pages carry nonces derived from it)
    (post,) = [p for p in posts if p.body["nonce"] == rows[0].idempotency_key]
    assert post is posts[0] and post.body["enforce_nonce"] is True
    assert len({p.body["nonce"] for p in posts}) == len(posts)  # no message sent twice
    assert post.body["embeds"]  # drawn by the Discord renderer
    assert post.body["allowed_mentions"]["parse"] == []  # pings nobody


async def test_briefbot_run_with_a_token_posts_due_digests(fake, ctx):
    _due_a_minute_ago(ctx)
    ctx.settings = ctx.settings.with_(discord_api_base=fake.base)
    task = asyncio.create_task(runner.run(ctx))
    try:
        await asyncio.wait_for(fake.gateway_ready.wait(), 10)
        post = (await fake.wait_for(1, "POST", MESSAGES, timeout=10))[0]
        assert post.path == f"/channels/{CHANNEL}/messages" and post.body["enforce_nonce"] is True
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


@pytest.mark.parametrize(("where", "expected"), [("gone_channels", ChannelGone), ("forbidden_channels", Forbidden)])
async def test_the_front_ends_errors_become_the_schedulers(fake, ctx, where, expected):
    getattr(fake, where).add(CHANNEL)
    frontend = DiscordFrontend(ctx, sync_commands=False)
    deliverer = frontend  # the front end is the scheduler's deliverer for Discord
    await frontend.start(connect=False)
    try:
        with pytest.raises(expected):
            await deliverer.post_digest(subscription(CHANNEL, timezone="UTC"), Notice("x"), "bb-test-nonce")
    finally:
        await frontend.close()
