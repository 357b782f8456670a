"""briefbot's application (slash) commands and their autocompletion.

Each command turns its options into the core's `Command` with `bot.commands.command_from_options`
(the same checks as every other front end) and answers through `DiscordFrontend.answer`, which
calls `bot.commands.execute`. `/subscribe`, `/unsubscribe` and `/subscriptions` are hidden from
members by `default_member_permissions` (Manage Server) and checked again when run, because a
server can override who sees a command.
"""

from __future__ import annotations

import functools
import zoneinfo
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from bot.commands import Caller, Command, command_from_options, execute, subscribe, unsubscribe
from bot.core import subscriptions as subs
from bot.core.models import Answer, HelpAnswer, UsageError
from bot.render.discord_embeds import render_own_notice, render_subscriptions

if TYPE_CHECKING:
    from bot.frontends.discord.client import DiscordFrontend

CHOICES_MAX = 25  # Discord shows at most 25 autocomplete choices
CHOICE_MAX = 100  # characters of a choice's name and value
NOT_MANAGER = "Only server managers (Manage Server) can change or list the daily digests."


@functools.cache
def _zones() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


def zone_choices(current: str) -> list[app_commands.Choice[str]]:
    text = current.strip().casefold().replace(" ", "_")
    starts = [z for z in _zones() if z.casefold().startswith(text)]
    inside = [z for z in _zones() if text and text in z.casefold() and z not in starts]
    return [app_commands.Choice(name=z, value=z) for z in (starts + inside)[:CHOICES_MAX]]


def to_choices(pairs: list[tuple[str, str]]) -> list[app_commands.Choice[str]]:
    """(label, value) pairs of the core -> Discord choices within Discord's limits."""
    out: list[app_commands.Choice[str]] = []
    for label, value in pairs[:CHOICES_MAX]:
        if len(value) > CHOICE_MAX:
            continue  # a value Discord would refuse; canonical ids are far shorter
        name = label if len(label) <= CHOICE_MAX else label[: CHOICE_MAX - 1] + "…"
        out.append(app_commands.Choice(name=name, value=value))
    return out


class PostableChannel(app_commands.Transformer):
    """A text or announcement channel option, taken from the interaction's resolved data.

    Unlike the `discord.TextChannel` annotation it does not need the channel in the client's
    cache: the id Discord resolved is all a subscription stores.
    """

    @property
    def type(self) -> discord.AppCommandOptionType:
        return discord.AppCommandOptionType.channel

    @property
    def channel_types(self) -> list[discord.ChannelType]:
        return [discord.ChannelType.text, discord.ChannelType.news]

    async def transform(self, interaction: discord.Interaction[Any], value: Any, /) -> Any:
        return value


Channel = app_commands.Transform[discord.abc.Snowflake, PostableChannel]


def _caller(interaction: discord.Interaction[Any], channel_id: int | None = None) -> Caller:
    return Caller(
        platform="discord",
        workspace=str(interaction.guild_id or ""),
        channel=str(channel_id or interaction.channel_id or ""),
        user=str(interaction.user.id),
        can_manage=bool(interaction.guild_id)
        and (interaction.permissions.manage_guild or interaction.permissions.administrator),
    )


def _usage(command: app_commands.Command[Any, Any, Any]) -> str:
    parts = [f"/{command.name}"]
    parts += [p.name if p.required else f"[{p.name}]" for p in command.parameters]
    return " ".join(parts)


def help_answer(tree: app_commands.CommandTree[Any]) -> HelpAnswer:
    """The commands as Discord shows them (options, not the console's argument order)."""
    rows = []
    for command in tree.get_commands():
        if isinstance(command, app_commands.Command):
            managers = command.default_permissions is not None and command.default_permissions.manage_guild
            rows.append((_usage(command), command.description + (" (server managers)" if managers else "")))
    return HelpAnswer(tuple(rows))


def subscribe_answer(ctx: Any, caller: Caller, time: str | None, timezone: str | None) -> Answer:
    """The shared /subscribe; the confirmation names the channel (a mention never pings)."""
    usage = "/subscribe channel [time] [timezone]"
    return subscribe(ctx, caller, time, timezone, channel_name=f"<#{caller.channel}>", usage=usage)


def unsubscribe_answer(ctx: Any, caller: Caller) -> Answer:
    return unsubscribe(ctx, caller, channel_name=f"<#{caller.channel}>")


def install(tree: app_commands.CommandTree[Any], frontend: DiscordFrontend) -> None:
    """Add every command of briefbot to `tree`."""
    ctx = frontend.ctx

    async def run(interaction: discord.Interaction[Any], name: str, options: dict[str, str | None]) -> None:
        command: Command | UsageError = command_from_options(name, options)
        caller = _caller(interaction)
        await frontend.answer(interaction, lambda: execute(ctx, command, caller))

    @app_commands.command(name="status", description="Who controls or claims a region, according to whom")
    @app_commands.describe(region="An oblast, city or other name, e.g. Donetsk")
    async def status(interaction: discord.Interaction[Any], region: app_commands.Range[str, 1, 100]) -> None:
        await run(interaction, "status", {"region": region})

    @status.autocomplete("region")
    async def complete_region(interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
        return to_choices(ctx.gazetteer.complete(current, CHOICES_MAX))

    @app_commands.command(name="quote", description="What a person or body said, direct or reported")
    @app_commands.describe(speaker="A name, e.g. Peskov")
    async def quote(interaction: discord.Interaction[Any], speaker: app_commands.Range[str, 1, 100]) -> None:
        await run(interaction, "quote", {"speaker": speaker})

    @quote.autocomplete("speaker")
    async def complete_speaker(interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
        return to_choices(ctx.speakers.complete(current, CHOICES_MAX))

    @app_commands.command(name="digest", description="The briefing of a day (default: the latest)")
    @app_commands.describe(date="A day: YYYY-MM-DD, or words like 'yesterday'")
    async def digest(
        interaction: discord.Interaction[Any], date: app_commands.Range[str, 1, 100] | None = None
    ) -> None:
        await run(interaction, "digest", {"date": date})

    @app_commands.command(name="contradictions", description="Statements in tension, optionally for one region")
    @app_commands.describe(region="An oblast, city or other name (optional)")
    async def contradictions(
        interaction: discord.Interaction[Any], region: app_commands.Range[str, 1, 100] | None = None
    ) -> None:
        await run(interaction, "contradictions", {"region": region})

    contradictions.autocomplete("region")(complete_region)

    @app_commands.command(name="sources", description="The articles briefbot knows, newest first")
    async def sources(interaction: discord.Interaction[Any]) -> None:
        await run(interaction, "sources", {})

    @app_commands.command(name="help", description="What briefbot can do")
    async def help_(interaction: discord.Interaction[Any]) -> None:
        await frontend.answer(interaction, lambda: help_answer(tree))

    @app_commands.command(name="subscribe", description="Post the daily digest in a channel at a local time")
    @app_commands.describe(
        channel="Where to post the digest",
        time="Local time, HH:MM (24-hour)",
        timezone="An IANA time zone, e.g. Europe/Kyiv",
    )
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    async def subscribe(
        interaction: discord.Interaction[Any],
        channel: Channel,
        time: app_commands.Range[str, 1, 5] | None = None,
        timezone: app_commands.Range[str, 1, 64] | None = None,
    ) -> None:
        caller = _caller(interaction, channel.id)
        if not caller.can_manage:
            await frontend.refuse(interaction, NOT_MANAGER)
            return
        await frontend.answer(
            interaction, lambda: subscribe_answer(ctx, caller, time, timezone), render_with=render_own_notice
        )

    @subscribe.autocomplete("timezone")
    async def complete_zone(interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
        return zone_choices(current)

    @app_commands.command(name="unsubscribe", description="Stop the daily digest in a channel")
    @app_commands.describe(channel="The channel that gets the digest")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    async def unsubscribe(interaction: discord.Interaction[Any], channel: Channel) -> None:
        caller = _caller(interaction, channel.id)
        if not caller.can_manage:
            await frontend.refuse(interaction, NOT_MANAGER)
            return
        await frontend.answer(interaction, lambda: unsubscribe_answer(ctx, caller), render_with=render_own_notice)

    @app_commands.command(name="subscriptions", description="This server's daily digests and their state")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.guild_only()
    async def subscriptions(interaction: discord.Interaction[Any]) -> None:
        caller = _caller(interaction)
        if not caller.can_manage:
            await frontend.refuse(interaction, NOT_MANAGER)
            return
        rows = lambda: subs.list_subscriptions(  # noqa: E731
            ctx.store, platform="discord", workspace=caller.workspace, active_only=False
        )
        await frontend.answer(interaction, rows, ephemeral=True, render_with=render_subscriptions)

    for command in (
        status,
        quote,
        digest,
        contradictions,
        sources,
        help_,
        subscribe,
        unsubscribe,
        subscriptions,
    ):
        tree.add_command(command)
