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
from bot.schedule.adapters import deliverers_for
from bot.schedule.deliver import ConsoleDeliverer
from bot.schedule.scheduler import DigestScheduler

log = logging.getLogger(__name__)


async def run(ctx: Context) -> None:
    settings = ctx.settings
    if not settings.discord_token and not settings.slack_bot_token:
        log.info("no chat token set: answering in the local console")
        scheduler = DigestScheduler.from_context(ctx, deliverers_for(console=ConsoleDeliverer()))
        await scheduler.start()  # console subscriptions print their digests here
        try:
            await run_console(ctx)
        finally:
            scheduler.shutdown()
        return
    if settings.slack_bot_token and not settings.discord_token:
        raise SystemExit("the Slack front end is not available in this build")  # replaced when it lands
    from bot.frontends.discord.client import DiscordFrontend

    discord_frontend = DiscordFrontend(ctx)
    scheduler = DigestScheduler.from_context(ctx, deliverers_for(discord_client=discord_frontend))

    async def start_digests_once_online() -> None:
        # Posting needs the REST login; waiting for READY also keeps a bot that cannot log in
        # from queueing retries of missed digests.
        while not discord_frontend.client.is_ready():
            await asyncio.sleep(0.5)
        await scheduler.start()

    digests = asyncio.create_task(start_digests_once_online(), name="digest-scheduler")
    log.info("starting the Discord front end")
    try:
        await discord_frontend.run()
    finally:
        digests.cancel()
        scheduler.shutdown()


def main(ctx: Context) -> None:
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(ctx))
