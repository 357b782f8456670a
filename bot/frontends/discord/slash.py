"""briefbot's application (slash) commands on Discord, generated from the one command table.

Each entry of `bot.commands.COMMANDS` becomes an app command with an option per parameter (its
Discord type and autocompletion chosen by the parameter's kind); every command answers through
`DiscordFrontend.run_command`, which calls `bot.commands.execute` like every other front end.
Commands for managers are hidden from members by `default_member_permissions` (Manage Server)
and checked again when run, because a server can override who sees a command. Editors' commands
(`/review`) are visible to all: the editor role is a server's own, checked when run.
"""

from __future__ import annotations

import functools
import inspect
import zoneinfo
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

import discord
from discord import app_commands

from bot.commands import COMMANDS, CommandSpec, Param, ParamKind

CHOICES_MAX = 25  # Discord shows at most 25 autocomplete choices
CHOICE_MAX = 100  # characters of a choice's name and value


class CommandRunner(Protocol):
    """What the generated commands call: the front end answering a command from its options."""

    async def run_command(
        self, interaction: discord.Interaction[Any], name: str, options: dict[str, str | None]
    ) -> None: ...

    def complete(self, kind: ParamKind, current: str) -> list[tuple[str, str]]: ...


@functools.cache
def _zones() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


def zone_completions(current: str, limit: int = CHOICES_MAX) -> list[tuple[str, str]]:
    text = current.strip().casefold().replace(" ", "_")
    starts = [z for z in _zones() if z.casefold().startswith(text)]
    inside = [z for z in _zones() if text and text in z.casefold() and z not in starts]
    return [(z, z) for z in (starts + inside)[:limit]]


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


_ANNOTATIONS: dict[ParamKind, Any] = {
    ParamKind.REGION: app_commands.Range[str, 1, 100],
    ParamKind.SPEAKER: app_commands.Range[str, 1, 100],
    ParamKind.DATE: app_commands.Range[str, 1, 100],
    ParamKind.TIME: app_commands.Range[str, 1, 5],
    ParamKind.TIMEZONE: app_commands.Range[str, 1, 64],
    ParamKind.CHANNEL: app_commands.Transform[discord.abc.Snowflake, PostableChannel],
    ParamKind.ARTICLE: app_commands.Range[str, 1, 121],
    ParamKind.CHOICE: app_commands.Range[str, 1, 20],
    ParamKind.URL: app_commands.Range[str, 1, 500],
}
_COMPLETED = frozenset({ParamKind.REGION, ParamKind.SPEAKER, ParamKind.TIMEZONE, ParamKind.ARTICLE})


def _option_text(value: Any) -> str | None:
    """An option as the command table takes it: text, or a picked channel's id."""
    if value is None:
        return None
    return str(value.id) if hasattr(value, "id") else str(value)


def _signature(params: tuple[Param, ...]) -> inspect.Signature:
    parameters = [
        inspect.Parameter("interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction)
    ]
    for p in params:
        annotation = _ANNOTATIONS[p.kind] if p.required else _ANNOTATIONS[p.kind] | None
        default = inspect.Parameter.empty if p.required else None
        parameters.append(
            inspect.Parameter(p.name, inspect.Parameter.KEYWORD_ONLY, annotation=annotation, default=default)
        )
    return inspect.Signature(parameters)


def _completer(
    runner: CommandRunner, kind: ParamKind
) -> Callable[[discord.Interaction[Any], str], Coroutine[Any, Any, list[app_commands.Choice[str]]]]:
    async def complete(interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
        return to_choices(runner.complete(kind, current))

    return complete


def app_command(spec: CommandSpec, runner: CommandRunner) -> app_commands.Command[Any, Any, Any]:
    """The Discord command of one entry of the command table."""

    async def callback(interaction: discord.Interaction[Any], **options: Any) -> None:
        await runner.run_command(interaction, spec.name, {k: _option_text(v) for k, v in options.items()})

    callback.__signature__ = _signature(spec.params)  # type: ignore[attr-defined]
    if spec.params:
        app_commands.describe(**{p.name: p.description for p in spec.params})(callback)
    choices = {p.name: [app_commands.Choice(name=c, value=c) for c in p.choices] for p in spec.params if p.choices}
    if choices:
        app_commands.choices(**choices)(callback)
    if spec.manage:
        app_commands.default_permissions(manage_guild=True)(callback)
        app_commands.guild_only()(callback)
    command: app_commands.Command[Any, Any, Any] = app_commands.Command(
        name=spec.name, description=spec.description, callback=callback
    )
    for p in spec.params:
        if p.kind in _COMPLETED:
            command.autocomplete(p.name)(_completer(runner, p.kind))
    return command


def install(tree: app_commands.CommandTree[Any], runner: CommandRunner) -> None:
    """Add every command of the command table to `tree`."""
    for spec in COMMANDS.values():
        tree.add_command(app_command(spec, runner))
