"""The Discord front end: login, command sync, answering interactions, posting digests.

`DiscordFrontend(ctx)` is what the runner starts (`start()` / `run()` / `close()`) and what the
scheduler posts digests through (it is a `bot.delivery.Deliverer`: `post_digest` sends a nonce
Discord enforces, so a retried post never doubles). Answers come only from
`bot.commands.execute`, run on the store's reader threads (the event loop stays free); an
interaction is deferred when its answer is not ready within `defer_after` seconds, far inside
Discord's 3-second window. Presses of our buttons are routed here by their custom id
(`components.py`). Every message is sent with `allowed_mentions` none. Discord's failures are
mapped to `bot.delivery`'s errors in one place, `delivery_error`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
from collections.abc import Callable
from typing import Any

import aiohttp
import discord
from discord import app_commands

from bot import commands
from bot.commands import Caller, Command, ParamKind, execute
from bot.context import Context
from bot.core.models import Answer, Notice, ReviewAnswer
from bot.core.review import waiting_articles
from bot.core.subscriptions import Subscription
from bot.delivery import ChannelGone, DeliveryError, Forbidden, NetworkError, RateLimited, Rejected
from bot.frontends.discord import hooks
from bot.frontends.discord.components import is_ours, page_view, parse_page, raw_view
from bot.frontends.discord.pacing import DiscordPacer
from bot.frontends.discord.slash import install, zone_completions
from bot.render.discord_embeds import (
    DiscordMessage,
    RenderedAnswer,
    edit_menu,
    render,
)
from bot.render.layout import ControlPress, parse_control
from bot.render.layout import layout as lay_out
from bot.settings import Settings

log = logging.getLogger(__name__)

DEFER_AFTER_S = 1.5  # answer directly when ready by then, otherwise defer (Discord allows 3 s)
MAX_RATELIMIT_WAIT_S = 30.0  # longer 429s surface as RateLimited instead of blocking a task
NONCE_MAX = 25  # Discord's limit on a message nonce
# Discord answers a repeated nonce with the first message only "in the past few minutes"
# (API docs on enforce_nonce); past this, the scheduler does not resend a slot that may be posted.
DISCORD_NONCE_WINDOW = dt.timedelta(minutes=2)
STALE_BUTTON = "This button no longer works; run the command again."


def delivery_error(exc: BaseException, channel_id: str) -> DeliveryError | None:
    """discord.py's and the network's failures as bot.delivery's errors (None: not a delivery failure)."""
    if isinstance(exc, discord.RateLimited):  # only when retry_after passes max_ratelimit_timeout
        return RateLimited(exc.retry_after, f"channel {channel_id}: rate limited by Discord")
    if isinstance(exc, discord.NotFound):
        return ChannelGone(f"channel {channel_id}: unknown channel ({exc.code})", code=str(exc.code))
    if isinstance(exc, discord.Forbidden):
        return Forbidden(f"channel {channel_id}: missing access or permissions ({exc.code})", code=str(exc.code))
    if isinstance(exc, discord.DiscordServerError):
        return NetworkError(f"channel {channel_id}: Discord server error {exc.status}")
    if isinstance(exc, discord.HTTPException):
        if exc.status == 429:  # a 429 without Discord's headers (e.g. a Cloudflare block)
            return RateLimited(60.0, f"channel {channel_id}: rate limited (blocked)")
        return Rejected(f"channel {channel_id}: {exc.status} {exc.text[:200]}", code=str(exc.code))
    if isinstance(exc, TimeoutError | aiohttp.ClientError | OSError):
        return NetworkError(f"channel {channel_id}: network error: {type(exc).__name__}")
    return None


def _discord_message_kwargs(message: DiscordMessage) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "embeds": [discord.Embed.from_dict(e) for e in message.embeds],
        "allowed_mentions": discord.AllowedMentions.none(),
    }
    if message.content is not None:
        kwargs["content"] = message.content
    return kwargs


def _sorry() -> RenderedAnswer:
    return render(Notice(commands.SORRY, ok=False))


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
        install(self.tree, self.frontend)
        if self.frontend.sync_commands:
            await self.frontend.sync()

    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        if interaction.type == discord.InteractionType.component:
            data: dict[str, Any] = dict(interaction.data or {})
            custom_id = str(data.get("custom_id", ""))
            if is_ours(custom_id):
                await self.frontend.on_component(interaction, custom_id)

    async def _on_tree_error(self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError) -> None:
        if isinstance(error, app_commands.MissingPermissions | app_commands.CheckFailure):
            rendered = render(Notice("Only server managers (Manage Server) can do that.", ok=False))
        else:
            log.error("command %s failed", getattr(interaction.command, "name", "?"), exc_info=error)
            rendered = _sorry()
        try:
            await self.frontend.send_rendered(interaction, rendered)
        except discord.HTTPException as exc:  # the interaction may have expired meanwhile
            log.warning("could not tell the user about the error: %s %s", exc.status, exc.text[:100])


class DiscordFrontend:
    """Runs briefbot on Discord on the core's Context (settings, store, gazetteer, speakers)."""

    platform = "discord"
    dedupe_window: dt.timedelta | None = DISCORD_NONCE_WINDOW

    def __init__(
        self,
        ctx: Context,
        settings: Settings | None = None,
        *,
        sync_commands: bool = True,
        defer_after: float = DEFER_AFTER_S,
        pacer: DiscordPacer | None = None,
    ) -> None:
        self.ctx = ctx
        self.settings: Settings = settings or ctx.settings
        self.sync_commands = sync_commands
        self.defer_after = defer_after
        self.client = BriefbotClient(self)
        # Digests are paced under the global limit; interaction answers are exempt from it.
        self.pacer = pacer or DiscordPacer()
        self.synced: list[app_commands.AppCommand] = []
        self._gateway: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ lifecycle

    async def start(self, *, connect: bool = True) -> None:
        """Log in over REST (and sync commands); with `connect`, open the gateway in a task."""
        if self.settings.discord_api_base:
            base = hooks.set_api_base(self.settings.discord_api_base)
            log.info("Discord REST calls go to %s", base)
        token = self.settings.discord_token.get_secret_value()
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

    def is_ready(self) -> bool:
        return self.client.is_ready()

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

    def complete(self, kind: ParamKind, current: str) -> list[tuple[str, str]]:
        """Autocomplete values for an option of this kind (in memory: no query)."""
        if kind == ParamKind.REGION:
            return self.ctx.gazetteer.complete(current, 25)
        if kind == ParamKind.SPEAKER:
            return self.ctx.speakers.complete(current, 25)
        if kind == ParamKind.TIMEZONE:
            return zone_completions(current)
        if kind == ParamKind.ARTICLE:
            return waiting_articles(self.ctx.store, current, 25)
        return []

    def caller(self, interaction: discord.Interaction[Any]) -> Caller:
        """Who interacted, from what Discord sent with the interaction: the permissions it computed
        for the member in this channel and the member's role ids (never from a custom id)."""
        in_server = bool(interaction.guild_id)
        manager = in_server and (interaction.permissions.manage_guild or interaction.permissions.administrator)
        role = self.settings.discord_editor_role
        editor = in_server and (role in hooks.member_role_ids(interaction.user) if role else manager)
        user = interaction.user
        return Caller(
            platform=self.platform,
            workspace=str(interaction.guild_id or ""),
            channel=str(interaction.channel_id or ""),
            user=str(user.id),
            can_manage=manager,
            can_edit=editor,
            name=f"{user.name} (Discord {user.id})",
        )

    async def run_command(
        self, interaction: discord.Interaction[Any], name: str, options: dict[str, str | None]
    ) -> None:
        """An application command: the command table's checks, then `execute` on a reader thread."""
        command = commands.command_from_options(name, options)
        caller = self.caller(interaction)
        await self.answer(interaction, lambda: execute(self.ctx, command, caller))

    async def query(self, produce: Callable[[], Any]) -> Any:
        """Run core work on one of the store's reader threads (the event loop stays free)."""
        return await self.ctx.store.run(produce)

    async def answer(self, interaction: discord.Interaction[Any], produce: Callable[[], Answer]) -> None:
        """Compute an answer (deferring when it is slow), render it and send page 1."""
        # answered and rendered on a reader thread: the event loop only sends
        future = asyncio.ensure_future(self.query(lambda: render(produce())))
        done, _ = await asyncio.wait({future}, timeout=self.defer_after)
        if not done:
            await interaction.response.defer(thinking=True)
        try:
            rendered = await future
        except Exception:
            log.exception("answering %s failed", getattr(interaction.command, "name", "?"))
            rendered = _sorry()
        await self.send_rendered(interaction, rendered)

    async def send_rendered(self, interaction: discord.Interaction[Any], rendered: RenderedAnswer) -> None:
        page = rendered.page(0)
        kwargs = _discord_message_kwargs(page)
        view = raw_view(page.components) if page.components else page_view(rendered, 0)
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

    async def on_component(self, interaction: discord.Interaction[Any], custom_id: str) -> None:
        """A press of one of our buttons or menus, routed by its custom id."""
        review = parse_control(custom_id)
        if review is not None:
            await self.on_review(interaction, review)
            return
        press = parse_page(custom_id)
        spec = commands.COMMANDS.get(press.name) if press else None
        if press is None or spec is None or not spec.readonly or spec.manage:
            # custom ids come from our own buttons; anything else is refused
            await self.send_rendered(interaction, render(Notice(STALE_BUTTON, ok=False)))
            return
        reader = Caller(self.platform, str(interaction.guild_id or ""), can_manage=False)
        try:
            rendered = await self.query(lambda: render(execute(self.ctx, Command(press.name, press.args), reader)))
        except Exception:
            log.exception("page %s of %s failed", press.page, press.name)
            rendered = _sorry()
        if rendered.ephemeral:  # e.g. the data behind the answer is gone: say so privately
            await self.send_rendered(interaction, rendered)
            return
        index = max(0, min(press.page, rendered.page_count - 1))
        kwargs = _discord_message_kwargs(rendered.page(index))
        kwargs["view"] = page_view(rendered, index)
        await interaction.response.edit_message(**kwargs)

    # ------------------------------------------------------------------ the review queue

    async def on_review(self, interaction: discord.Interaction[Any], press: ControlPress) -> None:
        """A review card's control: the editor check, the decision (on a writer of the store's
        threads: it rewrites the digest file and loads it), then the card redrawn in place (an
        edit's menu opens in the card itself, so cards shown only to the caller work too)."""
        caller = self.caller(interaction)
        if not caller.can_edit:
            await self.send_rendered(interaction, render(commands.editors_only(self.platform)))
            return
        data: dict[str, Any] = dict(interaction.data or {})
        changes = None
        verb = press.verb
        if verb == "edit":
            values = [str(v) for v in data.get("values") or []]
            if not values or not press.field:
                await self.send_rendered(interaction, render(Notice(STALE_BUTTON, ok=False)))
                return
            changes = {press.field: values[0]}
        action = "page" if verb == "menu" else verb
        # a decision rewrites the digest file and loads it: on the store's writer thread, and
        # acknowledged first (DEFERRED_UPDATE_MESSAGE) when it takes long
        work = asyncio.ensure_future(
            self.ctx.store.run_write(
                commands.review_action, self.ctx, caller, press.key, action, press.item, press.page, changes
            )
        )
        done, _ = await asyncio.wait({work}, timeout=self.defer_after)
        if not done:
            await interaction.response.defer()
        answer: Answer
        try:
            answer = await work
        except Exception:
            log.exception("review control %s failed", verb)
            answer = Notice(commands.SORRY, ok=False)
        rendered = render(answer)
        if not isinstance(answer, ReviewAnswer):  # a refusal or an error: to the presser only
            if interaction.response.is_done():
                await interaction.followup.send(ephemeral=True, **_discord_message_kwargs(rendered.page(0)))
            else:
                await self.send_rendered(interaction, rendered)
            return
        page = rendered.page(0)
        kwargs = _discord_message_kwargs(page)
        components = page.components
        if verb == "menu":
            menu = edit_menu(lay_out(answer), press.item, press.field)
            components = menu if menu is not None else components
        kwargs["view"] = raw_view(components)
        if interaction.response.is_done():
            await interaction.edit_original_response(**kwargs)
        else:
            await interaction.response.edit_message(**kwargs)

    @property
    def review_channel(self) -> str | None:
        """Where new drafts are posted for editors (DISCORD_REVIEW_CHANNEL), or None."""
        channel = self.settings.discord_review_channel
        return str(channel) if channel else None

    review_page_size = commands.REVIEW_PAGE_SIZE["discord"]

    async def post_review_card(self, channel_id: str, answer: Answer, key: str) -> str:
        """Post a draft's review card (bot.delivery.ReviewDeliverer); `key` is the nonce that
        keeps a retried post from doubling. Returns the message id; raises bot.delivery's errors."""
        page = render(answer).page(0)
        kwargs = _discord_message_kwargs(page)
        view = raw_view(page.components)
        if view is not None:
            kwargs["view"] = view
        return await self._send(channel_id, kwargs, key[:NONCE_MAX])

    # ------------------------------------------------------------------ delivery (scheduler)

    async def post_digest(
        self, sub: Subscription, answer: Answer, idempotency_key: str, *, slot_at: dt.datetime | None = None
    ) -> str:
        """The scheduler's call (bot.delivery.Deliverer): the digest to the subscription's channel."""
        if not sub.channel.isdigit():
            raise ChannelGone(f"{sub.channel[:40]!r} is not a Discord channel id")
        return await self.post_to_channel(sub.channel, answer, idempotency_key)

    async def post_to_channel(self, channel_id: str, answer: Answer, nonce: str) -> str:
        """Post an answer to a channel; returns the id of its (first) message.

        A digest of a day is one message with page buttons. A digest with no day ("new since
        the last one") cannot be redrawn from a button, so each of its pages is its own message.
        `nonce` (at most 25 characters) is sent with `enforce_nonce`, so Discord returns the
        earlier message instead of posting twice when a retry repeats a post that got through
        (later pages get nonces derived from it). Raises bot.delivery's errors; on a retry
        after a failure in a later page, the pages already posted are not posted again.
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
        await self.pacer.turn()
        try:
            message = await channel.send(nonce=nonce, **kwargs)
        except Exception as exc:
            mapped = delivery_error(exc, channel_id)
            if mapped is None:
                raise
            raise mapped from exc
        return str(message.id)


def page_nonce(nonce: str, index: int) -> str:
    """The nonce of page `index` of a digest: the nonce itself, then derived ones (<= 25 chars)."""
    if index == 0:
        return nonce
    base = nonce if len(nonce) <= NONCE_MAX - 4 else hashlib.sha1(nonce.encode()).hexdigest()[: NONCE_MAX - 4]
    return f"{base}-p{index:02d}"
