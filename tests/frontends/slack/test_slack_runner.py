"""`briefbot run` with SLACK_BOT_TOKEN: the Slack app and the scheduler in one loop."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses

import pytest

from bot import runner
from bot.context import Context
from bot.render.slack_blocks import all_texts
from bot.settings import Secret
from tests.frontends.slack.conftest import slack_settings
from tests.frontends.slack.fake_slack import FakeSlack
from tests.frontends.slack.test_slack_socket_mode import run_envelope


async def test_run_starts_slack_in_socket_mode(slack_ctx: Context, fake_slack: FakeSlack):
    ctx = dataclasses.replace(slack_ctx, settings=slack_settings(slack_ctx.settings, fake_slack, socket=True))
    task = asyncio.create_task(runner.run(ctx))
    try:
        [response] = await run_envelope(fake_slack, "quote Peskov")
        assert response["response_type"] == "in_channel"
        assert "Dmitry Peskov" in all_texts(response["blocks"])[0]
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_run_with_a_refused_token_exits_with_one_line(slack_ctx: Context, fake_slack: FakeSlack):
    settings = slack_settings(slack_ctx.settings, fake_slack, socket=True, slack_bot_token=Secret("xoxb-nope"))
    with pytest.raises(SystemExit, match=r"^Slack: Slack refused: invalid_auth$"):
        await runner.run(dataclasses.replace(slack_ctx, settings=settings))


async def test_discord_and_slack_side_by_side_on_one_store(slack_ctx: Context, fake_slack: FakeSlack):
    import discord.http

    from bot.core import subscriptions
    from bot.frontends.discord import hooks
    from tests.frontends.discord import payloads
    from tests.frontends.discord.fake_discord import FakeDiscord
    from tests.frontends.discord.limits import CALLBACK

    fake_discord = FakeDiscord()
    await fake_discord.start()
    previous_base = discord.http.Route.BASE
    previous_gateway = hooks.set_gateway_url(fake_discord.gateway_url)
    settings = slack_settings(
        slack_ctx.settings,
        fake_slack,
        socket=True,
        discord_token=Secret("test-token"),
        discord_api_base=fake_discord.base,
    )
    task = asyncio.create_task(runner.run(dataclasses.replace(slack_ctx, settings=settings)))
    try:
        await asyncio.wait_for(fake_discord.gateway_ready.wait(), 10)
        [subscribed] = await run_envelope(fake_slack, "subscribe 07:00 UTC", user="U0ADMIN")
        assert subscribed["response_type"] == "in_channel"
        await fake_discord.dispatch("INTERACTION_CREATE", payloads.slash("status", {"region": "Donetsk"}))
        (callback,) = await fake_discord.wait_for(1, "POST", CALLBACK)
        assert callback.body["data"]["embeds"][0]["title"].startswith("Donetsk (UA-14)")
        [answer] = await run_envelope(fake_slack, "status Donetsk")
        assert answer["blocks"][0]["text"]["text"] == "Donetsk (UA-14): what the sources say"
        [sub] = subscriptions.list_subscriptions(slack_ctx.store, platform="slack")
        assert (sub.channel, sub.local_time) == ("C0GENERAL", "07:00")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        discord.http.Route.BASE = previous_base
        hooks.set_gateway_url(previous_gateway)
        await fake_discord.close()
