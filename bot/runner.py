"""`briefbot run`: starts what the settings call for in one asyncio event loop.

Discord when DISCORD_TOKEN is set, Slack when SLACK_BOT_TOKEN is set (side by side, on one
store), and the local console when neither is; the scheduler runs beside them in the same
loop: the daily digests (each front end is the deliverer of its platform), the polls of
followed feeds (`briefbot feeds add URL`), and the review cards of new drafts (to the review
channel of each platform that has one).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping

from bot.context import Context
from bot.delivery import DeliveryError
from bot.frontends.console import ConsoleDeliverer, run_console
from bot.ingest.polling import schedule_feed_polls
from bot.schedule.review_queue import ReviewQueue
from bot.schedule.scheduler import DigestScheduler

log = logging.getLogger(__name__)


async def start_schedules(
    scheduler: DigestScheduler, ctx: Context, deliverers: Mapping[str, object] | None = None
) -> None:
    """Digests, feed polls and review cards, on the one APScheduler of the process."""
    await scheduler.start()
    schedule_feed_polls(scheduler.scheduler, ctx.store, ctx.settings, ctx.clock)
    ReviewQueue(ctx.store, ctx.settings.summaries_dir, deliverers or {}, ctx.clock).start(scheduler.scheduler)


async def run(ctx: Context) -> None:
    """The chat front ends (or the console), and the web view beside them when BRIEFBOT_WEB is set."""
    if not ctx.settings.web_in_run:
        await run_chat(ctx)
        return
    from bot.frontends.web.server import server

    web = server(ctx)
    serving = asyncio.create_task(web.serve(), name="web-view")
    try:
        await run_chat(ctx)
    finally:
        web.should_exit = True  # uvicorn's own shutdown: the socket closes, requests finish
        with contextlib.suppress(asyncio.CancelledError):
            await serving


async def run_chat(ctx: Context) -> None:
    settings = ctx.settings
    if not settings.discord_token and not settings.slack_bot_token:
        log.info("no chat token set: answering in the local console")
        scheduler = DigestScheduler.from_context(ctx, {"console": ConsoleDeliverer()})
        await start_schedules(scheduler, ctx)  # console subscriptions print their digests here
        try:
            await run_console(ctx)
        finally:
            scheduler.shutdown()
        return
    from bot.frontends.discord.client import DiscordFrontend
    from bot.frontends.slack import SlackFrontend

    discord_frontend = DiscordFrontend(ctx) if settings.discord_token else None
    slack_frontend = SlackFrontend(ctx) if settings.slack_bot_token else None
    deliverers = {f.platform: f for f in (discord_frontend, slack_frontend) if f is not None}
    scheduler = DigestScheduler.from_context(ctx, deliverers)
    if slack_frontend is not None:
        log.info("starting the Slack front end (%s mode)", slack_frontend.mode)
        try:
            await slack_frontend.start()
        except DeliveryError as exc:  # a refused token, no signing secret, Slack unreachable
            await slack_frontend.close()
            raise SystemExit(f"Slack: {exc}") from exc

    async def start_digests_once_online() -> None:
        # Posting needs the REST login; waiting for READY also keeps a bot that cannot log in
        # from queueing retries of missed digests.
        while discord_frontend is not None and not discord_frontend.is_ready():
            await asyncio.sleep(0.5)
        await start_schedules(scheduler, ctx, deliverers)

    digests = asyncio.create_task(start_digests_once_online(), name="digest-scheduler")
    try:
        if discord_frontend is not None:
            log.info("starting the Discord front end")
            await discord_frontend.run()
        else:
            await asyncio.Event().wait()  # Slack runs in the background until interrupted
    finally:
        digests.cancel()
        scheduler.shutdown()
        if slack_frontend is not None:
            await slack_frontend.close()


def main(ctx: Context) -> None:
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(ctx))
