"""The one command language of briefbot, shared by every front end.

`parse("/status Donetsk")` -> Command("status", {"region": "Donetsk"}); `execute(ctx, command,
caller)` -> an Answer (bot.core.models). Discord builds Commands from its options, Slack and
the console from a line of text; all of them get the same answers. Nothing here raises on
user input: bad input becomes a UsageError or NotFound answer, and an unexpected failure is
logged and answered with a short notice.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from dateparser.date import DateDataParser
from rapidfuzz import process

from bot.context import Context
from bot.core import queries, subscriptions
from bot.core.models import Answer, HelpAnswer, NotFound, Notice, UsageError
from bot.core.textnorm import clean_input
from bot.render.common import subscription_line

log = logging.getLogger(__name__)

MAX_LINE = 500  # characters of a whole command line
MAX_ARG = 100  # characters of one argument (the longest region or speaker name is far shorter)


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    required: bool = False
    rest: bool = True  # takes the rest of the line (names have spaces: "Dmitry Peskov")


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str
    params: tuple[Param, ...]
    description: str
    manage: bool = False  # changes the channel's subscriptions: managers only

    @property
    def usage(self) -> str:
        parts = [f"/{self.name}"]
        for p in self.params:
            parts.append(p.name.upper() if p.required else f"[{p.name.upper()}]")
        return " ".join(parts)


COMMANDS: dict[str, CommandSpec] = {
    spec.name: spec
    for spec in (
        CommandSpec("status", (Param("region", True),), "Who controls or claims a region, according to whom"),
        CommandSpec("quote", (Param("speaker", True),), "What a person or body said, direct or reported"),
        CommandSpec("digest", (Param("date"),), "The briefing of a day (default: the latest)"),
        CommandSpec("contradictions", (Param("region"),), "Statements in tension, optionally for one region"),
        CommandSpec("sources", (), "The articles briefbot knows, newest first"),
        CommandSpec("help", (), "This list"),
        CommandSpec(
            "subscribe",
            (Param("time", rest=False), Param("timezone", rest=False)),
            "Post the daily digest in this channel at HH:MM local time",
            manage=True,
        ),
        CommandSpec("unsubscribe", (), "Stop the daily digest in this channel", manage=True),
        CommandSpec("subscriptions", (), "This channel's daily digests and their state", manage=True),
    )
}
ALIASES = {"quotes": "quote", "region": "status", "contradiction": "contradictions", "source": "sources", "?": "help"}


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    args: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Caller:
    """Who asks, and where: what subscriptions need. The front end decides `can_manage`."""

    platform: str = "console"
    workspace: str = ""
    channel: str = "console"
    user: str = "local"
    can_manage: bool = True


CONSOLE = Caller()


def parse(line: str) -> Command | UsageError:
    """'/status Donetsk' -> Command; anything else -> UsageError with a usage line."""
    if not isinstance(line, str):
        return UsageError("commands are text")
    if len(line) > MAX_LINE:
        return UsageError(f"that is {len(line):,} characters; a command is at most {MAX_LINE}", "/help")
    text = clean_input(line, MAX_LINE)
    if not text:
        return UsageError("type a command, for example /status Donetsk", "/help")
    head, _, rest = text.partition(" ")
    name = head.removeprefix("/").casefold()
    name = ALIASES.get(name, name)
    spec = COMMANDS.get(name)
    if spec is None:
        guess = process.extractOne(name, list(COMMANDS), score_cutoff=60)
        hint = f" Did you mean /{guess[0]}?" if guess else ""
        return UsageError(f"unknown command /{head.removeprefix('/')[:30]}.{hint}", "/help")
    return bind(spec, rest.strip())


def bind(spec: CommandSpec, rest: str) -> Command | UsageError:
    args: dict[str, str] = {}
    words = rest.split()
    for i, p in enumerate(spec.params):
        if p.rest and i == len(spec.params) - 1:
            value = " ".join(words)
            words = []
        else:
            value = words.pop(0) if words else ""
        if value:
            args[p.name] = value
        elif p.required:
            return UsageError(f"/{spec.name} needs a {p.name}", spec.usage)
    if words:
        return UsageError(f"/{spec.name} takes no more than {len(spec.params)} argument(s)", spec.usage)
    for key, value in args.items():
        if len(value) > MAX_ARG:
            return UsageError(f"the {key} is too long ({len(value)} characters; at most {MAX_ARG})", spec.usage)
    return Command(spec.name, args)


def command_from_options(name: str, options: dict[str, str | None]) -> Command | UsageError:
    """For front ends with structured options (Discord): the same checks as `parse`."""
    spec = COMMANDS.get(name)
    if spec is None:
        return UsageError(f"unknown command /{name[:30]}", "/help")
    args: dict[str, str] = {}
    for p in spec.params:
        value = clean_input(options.get(p.name) or "", MAX_LINE)
        if len(value) > MAX_ARG:
            return UsageError(f"the {p.name} is too long ({len(value)} characters; at most {MAX_ARG})", spec.usage)
        if value:
            args[p.name] = value
        elif p.required:
            return UsageError(f"/{spec.name} needs a {p.name}", spec.usage)
    return Command(spec.name, args)


def help_answer() -> HelpAnswer:
    return HelpAnswer(tuple((spec.usage, spec.description) for spec in COMMANDS.values()))


def parse_day(text: str, today: dt.date) -> dt.date | None:
    parser = DateDataParser(
        languages=["en"],
        settings={"RELATIVE_BASE": dt.datetime(today.year, today.month, today.day, 12), "PREFER_DATES_FROM": "past"},
    )
    data = parser.get_date_data(text)
    return data.date_obj.date() if data.date_obj else None


def execute(ctx: Context, command: Command | UsageError, caller: Caller = CONSOLE) -> Answer:
    """Answer a command; never raises."""
    if isinstance(command, UsageError):
        return command
    try:
        return _execute(ctx, command, caller)
    except Exception:  # the last line of defence: log it, never show a traceback
        log.exception("command %s failed", command.name)
        return Notice("Sorry, something went wrong answering that; it has been logged.", ok=False)


def run_line(ctx: Context, line: str, caller: Caller = CONSOLE) -> Answer:
    return execute(ctx, parse(line), caller)


def _execute(ctx: Context, command: Command, caller: Caller) -> Answer:
    args = command.args
    drafts = ctx.settings.show_drafts
    spec = COMMANDS[command.name]
    if spec.manage and not caller.can_manage:
        return Notice("Only server managers can change or list this channel's digests.", ok=False)
    match command.name:
        case "status":
            return queries.status(ctx.store, ctx.gazetteer, ctx.speakers, args["region"], include_drafts=drafts)
        case "quote":
            return queries.quotes(ctx.store, ctx.speakers, args["speaker"], include_drafts=drafts)
        case "digest":
            day = None
            if "date" in args:
                day = parse_day(args["date"], ctx.clock().date())
                if day is None:
                    return UsageError(f"cannot read a date in {args['date'][:40]!r}", "/digest [YYYY-MM-DD]")
                if not queries.has_day(ctx.store, day):
                    near = queries.nearest_days(ctx.store, day)
                    return NotFound("date", day.isoformat(), tuple(d.isoformat() for d in near))
            return queries.briefing(ctx.store, ctx.gazetteer, ctx.speakers, day=day, include_drafts=drafts)
        case "contradictions":
            return queries.contradictions(ctx.store, ctx.gazetteer, args.get("region"), include_drafts=drafts)
        case "sources":
            return queries.sources(ctx.store)
        case "help":
            return help_answer()
        case "subscribe":
            return subscribe(ctx, caller, args.get("time"), args.get("timezone"))
        case "unsubscribe":
            return unsubscribe(ctx, caller)
        case "subscriptions":
            subs = subscriptions.list_subscriptions(
                ctx.store, platform=caller.platform, workspace=caller.workspace, active_only=False
            )
            if not subs:
                return Notice("No daily digests here yet. Use /subscribe HH:MM [timezone].")
            return Notice("\n".join(subscription_line(s, f"#{s.channel}") for s in subs))
    return UsageError(f"unknown command /{command.name}", "/help")  # pragma: no cover - COMMANDS is exhaustive


def subscribe(
    ctx: Context,
    caller: Caller,
    local_time: str | None,
    timezone: str | None,
    *,
    channel_name: str = "this channel",
    usage: str = COMMANDS["subscribe"].usage,
) -> Answer:
    """Subscribe the caller's channel (settings' time and zone by default); the confirmation
    calls the channel `channel_name` (a front end may name it with a mention, which never pings)."""
    try:
        sub = subscriptions.subscribe(
            ctx.store,
            platform=caller.platform,
            workspace=caller.workspace,
            channel=caller.channel,
            local_time=local_time or ctx.settings.digest_time,
            timezone=timezone or ctx.settings.timezone,
            created_by=caller.user,
            now=ctx.clock(),
        )
    except subscriptions.SubscriptionError as exc:
        return UsageError(str(exc), usage)
    return Notice(f"{_capitalized(channel_name)} gets the daily digest at {sub.local_time} ({sub.timezone}).")


def unsubscribe(ctx: Context, caller: Caller, *, channel_name: str = "this channel") -> Answer:
    """Stop the daily digest in the caller's channel."""
    n = subscriptions.unsubscribe(
        ctx.store, platform=caller.platform, workspace=caller.workspace, channel=caller.channel
    )
    return Notice(
        f"Daily digest stopped in {channel_name}." if n else f"{_capitalized(channel_name)} had no daily digest."
    )


def _capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


__all__ = [
    "COMMANDS",
    "CONSOLE",
    "Caller",
    "Command",
    "CommandSpec",
    "execute",
    "help_answer",
    "parse",
    "run_line",
    "subscribe",
    "unsubscribe",
]
