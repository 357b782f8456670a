"""The Discord client of briefbot: login, command sync, answering interactions, posting digests.

`DiscordFrontend(ctx, settings)` is what the runner starts (`start()` / `run()` / `close()`)
and what the scheduler posts digests through (`post_digest`, with a nonce Discord enforces so a
retried post never doubles). Answers come only from `bot.commands.execute`; queries run on one
worker thread (the event loop stays free, the SQLite connection is used by one thread at a time)
and an interaction is deferred when its answer is not ready within `defer_after` seconds, far
inside Discord's 3-second window. Every message is sent with `allowed_mentions` none.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import aiohttp
import discord
from discord import app_commands

from bot.commands import Caller, Command, execute
from bot.core.models import Answer, BriefingAnswer, Notice
from bot.frontends.discord import hooks
from bot.frontends.discord.paging import PageButton, page_view
from bot.render.discord_embeds import DiscordMessage, RenderedAnswer, render

if TYPE_CHECKING:
    from bot.settings import Settings

log = logging.getLogger(__name__)

DEFER_AFTER_S = 1.5  # answer directly when ready by then, otherwise defer (Discord allows 3 s)
MAX_RATELIMIT_WAIT_S = 30.0  # longer 429s surface as RateLimited instead of blocking a task
NONCE_MAX = 25  # Discord's limit on a message nonce
PAGEABLE = frozenset({"status", "quote", "digest", "contradictions", "sources"})  # read-only commands
SORRY = "Sorry, something went wrong while answering. It has been logged."


# ---------------------------------------------------------------------------------- delivery errors


class DeliveryError(Exception):
    """A digest could not be posted to a channel; subclasses say why."""

    def __init__(self, channel_id: str, detail: str) -> None:
        super().__init__(f"channel {channel_id}: {detail}")
        self.channel_id = channel_id
        self.detail = detail


class ChannelGone(DeliveryError):
    """The channel (or the bot's access to the server) no longer exists: 404."""


class ChannelForbidden(DeliveryError):
    """The bot may not see or post in the channel: 403 (missing access or permissions)."""


class RateLimited(DeliveryError):
    """Discord asked to wait longer than we are willing to block: retry after `retry_after` s."""

    def __init__(self, channel_id: str, detail: str, retry_after: float) -> None:
        super().__init__(channel_id, detail)
        self.retry_after = retry_after


class DeliveryNetworkError(DeliveryError):
    """Discord could not be reached or kept failing (5xx after retries, timeouts)."""


class DeliveryRejected(DeliveryError):
    """Discord refused the message itself (4xx other than 403/404/429)."""


def _discord_message_kwargs(message: DiscordMessage) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "embeds": [discord.Embed.from_dict(e) for e in message.embeds],
        "allowed_mentions": discord.AllowedMentions.none(),
    }
    if message.content is not None:
        kwargs["content"] = message.content
    return kwargs


# ---------------------------------------------------------------------------------- client


class BriefbotClient(discord.Client):
    """discord.Client with the command tree; only the `guilds` intent, no privileged ones."""

    def __init__(self, frontend: DiscordFrontend) -> None:
        hooks.quiet_voice_warnings()
        super().__init__(
            intents=discord.Intents(guilds=True),
            allowed_mentions=discord.AllowedMentions.none(),
            max_ratelimit_timeout=MAX_RATELIMIT_WAIT_S,
        )
        self.frontend = frontend
        self.tree = app_commands.CommandTree(self)
        self.tree.on_error = self._on_tree_error  # type: ignore[method-assign]

    async def setup_hook(self) -> None:
        from bot.frontends.discord.slash import install

        install(self.tree, self.frontend)
        self.add_dynamic_items(PageButton)
        if self.frontend.sync_commands:
            await self.frontend.sync()

    async def _on_tree_error(self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError) -> None:
        if isinstance(error, app_commands.MissingPermissions | app_commands.CheckFailure):
            text = "Only server managers (Manage Server) can do that."
        else:
            log.error("command %s failed", getattr(interaction.command, "name", "?"), exc_info=error)
            text = SORRY
        try:
            await self.frontend.send_rendered(
                interaction, RenderedAnswer(pages=(DiscordMessage(content=text),), ephemeral=True)
            )
        except discord.HTTPException as exc:  # the interaction may have expired meanwhile
            log.warning("could not tell the user about the error: %s %s", exc.status, exc.text[:100])


class DiscordFrontend:
    """Runs briefbot on Discord. `ctx` is the core's Context (settings, db, gazetteer, speakers)."""

    def __init__(
        self,
        ctx: Any,
        settings: Settings | None = None,
        *,
        sync_commands: bool = True,
        defer_after: float = DEFER_AFTER_S,
    ) -> None:
        self.ctx = ctx
        self.settings: Settings = settings or ctx.settings
        self.sync_commands = sync_commands
        self.defer_after = defer_after
        self.client = BriefbotClient(self)
        self.synced: list[app_commands.AppCommand] = []
        self._gateway: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ lifecycle

    async def start(self, *, connect: bool = True) -> None:
        """Log in over REST (and sync commands); with `connect`, open the gateway in a task."""
        if self.settings.discord_api_base:
            base = hooks.set_api_base(self.settings.discord_api_base)
            log.info("Discord REST calls go to %s", base)
        token = self.settings.discord_token.reveal()
        if not token:
            raise RuntimeError("DISCORD_TOKEN is not set")
        await self.client.login(token)
        if connect:
            self._gateway = asyncio.create_task(self.client.connect(reconnect=True), name="discord-gateway")

    async def run(self) -> None:
        """Start and stay connected until the gateway task ends or is cancelled.

        A refused token or an unreachable Discord ends it with a one-line SystemExit, not a
        traceback: these are the operator's to fix.
        """
        try:
            await self.start(connect=True)
        except discord.LoginFailure as exc:
            await self.close()
            raise SystemExit("Discord refused DISCORD_TOKEN (401): copy the bot token again from the Bot tab") from exc
        except (aiohttp.ClientError, OSError) as exc:
            await self.close()
            raise SystemExit(f"cannot reach Discord at {hooks.api_base()}: {type(exc).__name__}") from exc
        assert self._gateway is not None
        try:
            await self._gateway
        finally:
            await self.close()

    async def close(self) -> None:
        if not self.client.is_closed():
            await self.client.close()
        if self._gateway is not None and not self._gateway.done():
            self._gateway.cancel()

    async def sync(self) -> list[app_commands.AppCommand]:
        """Register the commands: to DISCORD_GUILD_ID at once when set, else globally."""
        guild_id = self.settings.discord_guild_id
        try:
            if guild_id:
                guild = discord.Object(id=guild_id)
                self.client.tree.copy_global_to(guild=guild)
                self.synced = await self.client.tree.sync(guild=guild)
                log.info("synced %d commands to server %s", len(self.synced), guild_id)
            else:
                self.synced = await self.client.tree.sync()
                log.info("synced %d global commands (may take up to an hour to appear)", len(self.synced))
        except discord.HTTPException as exc:
            log.error("command sync failed (%s %s); the previous commands stay in place", exc.status, exc.text)
        return self.synced

    def feed(self, payload: dict[str, Any]) -> None:
        """Hand an INTERACTION_CREATE payload to the client as the gateway does (tests, bench)."""
        hooks.feed_interaction(self.client, payload)

    # ------------------------------------------------------------------ answering

    async def query(self, produce: Callable[[], Any]) -> Any:
        """Run core work on one of the store's reader threads (the event loop stays free)."""
        return await self.ctx.store.run(produce)

    async def answer(
        self,
        interaction: discord.Interaction[Any],
        produce: Callable[[], Answer],
        *,
        ephemeral: bool | None = None,
        render_with: Callable[[Any], RenderedAnswer] = render,
    ) -> None:
        """Compute an answer (deferring when it is slow), render it and send page 1."""
        future = asyncio.ensure_future(self.query(produce))
        done, _ = await asyncio.wait({future}, timeout=self.defer_after)
        if not done:
            await interaction.response.defer(thinking=True)
        try:
            answer = await future
            rendered = render_with(answer)
        except Exception:
            log.exception("answering %s failed", getattr(interaction.command, "name", "?"))
            rendered = RenderedAnswer(pages=(DiscordMessage(content=SORRY),), ephemeral=True)
        if ephemeral is not None:
            rendered = RenderedAnswer(rendered.pages, ephemeral=ephemeral, rerun=rendered.rerun)
        await self.send_rendered(interaction, rendered)

    async def refuse(self, interaction: discord.Interaction[Any], text: str) -> None:
        """A short, private refusal (no query run)."""
        await self.send_rendered(interaction, RenderedAnswer(pages=(DiscordMessage(content=text),), ephemeral=True))

    async def send_rendered(self, interaction: discord.Interaction[Any], rendered: RenderedAnswer) -> None:
        page = rendered.page(0)
        kwargs = _discord_message_kwargs(page)
        view = page_view(rendered, 0)
        if not interaction.response.is_done():
            if view is not None:
                kwargs["view"] = view
            await interaction.response.send_message(ephemeral=rendered.ephemeral, **kwargs)
            return
        # deferred: the "thinking" message is public; errors go out ephemeral instead of it
        if rendered.ephemeral:
            await interaction.delete_original_response()
            await interaction.followup.send(ephemeral=True, **kwargs)
            return
        if view is not None:
            kwargs["view"] = view
        await interaction.edit_original_response(**kwargs)

    async def show_page(
        self, interaction: discord.Interaction[Any], name: str, args: dict[str, str], page: int
    ) -> None:
        """A page button was pressed: re-run the (read-only) command, redraw that page in place."""
        if name not in PAGEABLE:  # custom ids come from our own buttons; refuse anything else
            await self.refuse(interaction, "This button no longer works; run the command again.")
            return
        reader = Caller(platform="discord", workspace=str(interaction.guild_id or ""), can_manage=False)
        try:
            answer = await self.query(lambda: execute(self.ctx, Command(name, args), reader))
            rendered = render(answer)
        except Exception:
            log.exception("page %s of %s failed", page, name)
            rendered = RenderedAnswer(pages=(DiscordMessage(content=SORRY),), ephemeral=True)
        if rendered.ephemeral:  # e.g. the data behind the answer is gone: say so privately
            await self.send_rendered(interaction, rendered)
            return
        index = max(0, min(page, rendered.page_count - 1))
        kwargs = _discord_message_kwargs(rendered.page(index))
        kwargs["view"] = page_view(rendered, index)
        await interaction.response.edit_message(**kwargs)

    # ------------------------------------------------------------------ delivery (scheduler)

    async def post_digest(self, channel_id: str, answer: BriefingAnswer | Notice, nonce: str) -> str:
        """Post a digest to a channel; returns the id of its (first) message.

        A digest of a day is one message with page buttons. A digest with no day ("new since
        the last one") cannot be redrawn from a button, so each of its pages is its own message.
        `nonce` (at most 25 characters) is sent with `enforce_nonce`, so Discord returns the
        earlier message instead of posting twice when a retry repeats a post that got through
        (later pages get nonces derived from it). Raises ChannelGone, ChannelForbidden,
        RateLimited, DeliveryNetworkError or DeliveryRejected; on a retry after a failure in a
        later page, the pages already posted are not posted again.
        """
        if not nonce or len(nonce) > NONCE_MAX:
            raise ValueError(f"Discord nonces are 1 to {NONCE_MAX} characters")
        rendered = render(answer)
        pages = range(1) if rendered.rerun is not None else range(rendered.page_count)
        first = ""
        for index in pages:
            kwargs = _discord_message_kwargs(rendered.page(index))
            view = page_view(rendered, index)
            if view is not None:
                kwargs["view"] = view
            message_id = await self._send(channel_id, kwargs, page_nonce(nonce, index))
            first = first or message_id
        return first

    async def _send(self, channel_id: str, kwargs: dict[str, Any], nonce: str) -> str:
        channel = self.client.get_partial_messageable(int(channel_id))
        try:
            message = await channel.send(nonce=nonce, **kwargs)
        except discord.RateLimited as exc:
            raise RateLimited(channel_id, "rate limited by Discord", exc.retry_after) from exc
        except discord.NotFound as exc:
            raise ChannelGone(channel_id, f"unknown channel ({exc.code})") from exc
        except discord.Forbidden as exc:
            raise ChannelForbidden(channel_id, f"missing access or permissions ({exc.code})") from exc
        except discord.DiscordServerError as exc:
            raise DeliveryNetworkError(channel_id, f"Discord server error {exc.status}") from exc
        except discord.HTTPException as exc:
            if exc.status == 429:  # a 429 without Discord's headers (e.g. a Cloudflare block)
                raise RateLimited(channel_id, "rate limited (blocked)", 60.0) from exc
            raise DeliveryRejected(channel_id, f"rejected: {exc.status} {exc.text[:200]}") from exc
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise DeliveryNetworkError(channel_id, f"network error: {type(exc).__name__}") from exc
        return str(message.id)


def page_nonce(nonce: str, index: int) -> str:
    """The nonce of page `index` of a digest: the nonce itself, then derived ones (<= 25 chars)."""
    if index == 0:
        return nonce
    base = nonce if len(nonce) <= NONCE_MAX - 4 else hashlib.sha1(nonce.encode()).hexdigest()[: NONCE_MAX - 4]
    return f"{base}-p{index:02d}"
