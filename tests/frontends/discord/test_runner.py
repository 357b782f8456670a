"""`briefbot run` with DISCORD_TOKEN set: logs in, connects to the gateway, answers over it.

The gateway is the fake's too: HELLO, IDENTIFY, READY, then an INTERACTION_CREATE dispatched
over the websocket, answered through the REST callback, as in production.
"""

from __future__ import annotations

import asyncio
import re

import discord.http
import pytest

from bot import runner
from bot.context import Context
from bot.frontends.discord import hooks
from bot.settings import Settings
from tests.frontends.discord import payloads as p
from tests.frontends.discord.fake_discord import FakeDiscord
from tests.frontends.discord.limits import CALLBACK

PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | (1 << 15)  # members, presences, message content


async def test_run_with_a_token_comes_online_and_answers(fake: FakeDiscord, ctx: Context, settings: Settings) -> None:
    previous = discord.http.Route.BASE
    previous_gateway = hooks.set_gateway_url(fake.gateway_url)
    ctx.settings = settings.with_(**{"discord_api_base": fake.base})
    task = asyncio.create_task(runner.run(ctx))
    try:
        await asyncio.wait_for(fake.gateway_ready.wait(), 10)
        assert fake.identify is not None
        assert fake.identify["token"] == "test-token"
        assert fake.identify["intents"] & PRIVILEGED_INTENTS == 0
        await fake.dispatch("INTERACTION_CREATE", p.slash("status", {"region": "Donetsk"}))
        (callback,) = await fake.wait_for(1, "POST", CALLBACK)
        assert callback.body["data"]["embeds"][0]["title"].startswith("Donetsk (UA-14)")
        assert (
            "“Peskov said the area specifically needing liberation was Donetsk”"
            in (callback.body["data"]["embeds"][0]["description"])
        )
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        discord.http.Route.BASE = previous
        hooks.set_gateway_url(previous_gateway)


async def test_a_refused_token_ends_run_with_one_clear_line(
    fake: FakeDiscord, ctx: Context, settings: Settings
) -> None:
    previous = discord.http.Route.BASE
    fake.fail_next("GET", "/users/@me", 401, {"message": "401: Unauthorized", "code": 0})
    ctx.settings = settings.with_(**{"discord_api_base": fake.base})
    try:
        with pytest.raises(SystemExit, match="Discord refused DISCORD_TOKEN"):
            await runner.run(ctx)
    finally:
        discord.http.Route.BASE = previous


async def test_unreachable_discord_ends_run_with_one_clear_line(ctx: Context, settings: Settings) -> None:
    previous = discord.http.Route.BASE
    ctx.settings = settings.with_(**{"discord_api_base": "http://127.0.0.1:9"})
    try:
        with pytest.raises(SystemExit, match=re.escape("cannot reach Discord at http://127.0.0.1:9/api/v10")):
            await runner.run(ctx)
    finally:
        discord.http.Route.BASE = previous
