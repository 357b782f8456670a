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
