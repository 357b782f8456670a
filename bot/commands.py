"""The one command table and command language of briefbot, shared by every front end.

`COMMANDS` lists every command once: its parameters (with the kind of value each takes, which
the front ends use for autocompletion and option types), its description, and whether only
channel managers may run it. `parse("/status Donetsk")` -> Command("status", {"region":
"Donetsk"}); Discord builds Commands from its options with `command_from_options`; `execute(ctx,
command, caller)` -> an Answer (bot.core.models). Every front end gets the same answers, and
nothing here raises on user input: bad input becomes a UsageError or NotFound answer, and an
unexpected failure is logged and answered with a short notice.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
from dataclasses import dataclass, field

from dateparser.date import DateDataParser
from rapidfuzz import process

from bot.context import Context
from bot.core import articles, queries, subscriptions
from bot.core.models import (
    CLAIM_DESCRIPTIONS,
    Answer,
    ClaimType,
    FeedChanged,
    FeedLine,
    FeedsAnswer,
    HelpAnswer,
    ItemState,
    NotFound,
    Notice,
    SubscriptionChanged,
    SubscriptionLine,
    SubscriptionsAnswer,
    UsageError,
)
from bot.core.review import Desk, ReviewError, pending_answer, sheet_answer
from bot.core.textnorm import clean_input

log = logging.getLogger(__name__)

MAX_LINE = 500  # characters of a whole command line
MAX_ARG = 100  # characters of one argument (the longest region or speaker name is far shorter)
SORRY = "Sorry, something went wrong answering that; it has been logged."


class ParamKind(enum.StrEnum):
    """What a parameter takes; front ends choose option types and autocompletion from it."""

    REGION = "region"
    SPEAKER = "speaker"
    DATE = "date"
    TIME = "time"
    TIMEZONE = "timezone"
    CHANNEL = "channel"  # a channel picked in the client (Discord); text front ends use the current one
    ARTICLE = "article"  # an article id (Discord completes the drafts waiting for review)
    CHOICE = "choice"  # one of the parameter's `choices` (Discord shows them as a menu)
    URL = "url"


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    kind: ParamKind
    description: str
    required: bool = False
    rest: bool = True  # takes the rest of the line (names have spaces: "Dmitry Peskov")
    choices: tuple[str, ...] = ()  # a CHOICE parameter's values
    max_len: int = 100  # characters (MAX_ARG); an address may be longer than a name

    @property
    def typed(self) -> bool:
        """Whether the parameter is typed in a command line (a channel is picked, not typed)."""
        return self.kind != ParamKind.CHANNEL


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str
    params: tuple[Param, ...]
    description: str
    manage: bool = False  # changes or lists the channel's subscriptions or feeds: managers only
    readonly: bool = True  # safe to re-run from a page button
    edit: bool = False  # reviews machine drafts: editors only

    def usage(self, prefix: str = "/", *, picked: bool = False) -> str:
        """'/status REGION'; with `picked`, picked parameters (channels) are shown too."""
        parts = [f"{prefix}{self.name}"]
        for p in self.params:
            if p.typed or picked:
                parts.append(p.name.upper() if p.required else f"[{p.name.upper()}]")
        return " ".join(parts)


FEED_ACTIONS = ("list", "add", "remove")

COMMANDS: dict[str, CommandSpec] = {
    spec.name: spec
    for spec in (
        CommandSpec(
            "status",
            (Param("region", ParamKind.REGION, "An oblast, city or other name, e.g. Donetsk", required=True),),
            "Who controls or claims a region, according to whom",
        ),
        CommandSpec(
            "quote",
            (Param("speaker", ParamKind.SPEAKER, "A name, e.g. Peskov", required=True),),
            "What a person or body said, direct or reported",
        ),
        CommandSpec(
            "digest",
            (Param("date", ParamKind.DATE, "A day: YYYY-MM-DD, or words like 'yesterday'"),),
            "The briefing of a day (default: the latest)",
        ),
        CommandSpec(
            "contradictions",
            (Param("region", ParamKind.REGION, "An oblast, city or other name (optional)"),),
            "Statements in tension, optionally for one region",
        ),
        CommandSpec("sources", (), "The articles briefbot knows, newest first"),
        CommandSpec("help", (), "What briefbot can do"),
        CommandSpec(
            "subscribe",
            (
                Param("time", ParamKind.TIME, "Local time, HH:MM (24-hour)", rest=False),
                Param("timezone", ParamKind.TIMEZONE, "An IANA time zone, e.g. Europe/Kyiv", rest=False),
                Param("channel", ParamKind.CHANNEL, "Where to post the digest (default: here)", rest=False),
            ),
            "Post the daily digest in this channel at HH:MM local time",
            manage=True,
            readonly=False,
        ),
        CommandSpec(
            "unsubscribe",
            (Param("channel", ParamKind.CHANNEL, "The channel that gets the digest (default: here)"),),
            "Stop the daily digest in this channel",
            manage=True,
            readonly=False,
        ),
        CommandSpec("subscriptions", (), "The daily digests here and their state", manage=True),
        CommandSpec(
            "review",
            (Param("article", ParamKind.ARTICLE, "An article id (default: list the drafts waiting)"),),
            "Machine drafts waiting for review, or one article's items to accept or reject",
            edit=True,
        ),
        CommandSpec(
            "feeds",
            (
                Param("action", ParamKind.CHOICE, "add, list or remove", rest=False, choices=FEED_ACTIONS),
                Param("url", ParamKind.URL, "The feed's address (add, remove) or its number (remove)", max_len=500),
            ),
            "Follow a feed (add URL), stop (remove URL), or list the followed feeds",
            manage=True,
            readonly=False,
        ),
    )
}
ALIASES = {"quotes": "quote", "region": "status", "contradiction": "contradictions", "source": "sources", "?": "help"}
# How each front end writes a command: Slack has one slash command with subcommands.
PREFIXES = {"slack": "/briefbot ", "discord": "/", "console": "/"}
# Who may change a channel's digests, as each platform calls them.
MANAGERS = {
    "discord": "server managers (Manage Server)",
    "slack": "workspace admins and owners (or members of the subscriber group)",
}
# Who may review machine drafts (both set in the settings: BRIEFBOT_DISCORD_EDITOR_ROLE, ...).
EDITORS = {
    "discord": "editors (the editor role; Manage Server when no role is set)",
    "slack": "editors (the editor user group; workspace admins when no group is set)",
}
# Items per page of a review card: Discord has five rows of controls (one per item, one for
# the article); a Slack message stays readable with five items and their controls.
REVIEW_PAGE_SIZE = {"discord": 4, "slack": 5}


def managers_only(platform: str, command: str = "subscribe") -> Notice:
    """The refusal of a managing command to someone who may not manage the channel."""
    who = MANAGERS.get(platform, "channel managers")
    what = "followed feeds" if command == "feeds" else "the daily digests"
    return Notice(f"Only {who} can change or list {what}.", ok=False)


def editors_only(platform: str) -> Notice:
    who = EDITORS.get(platform, "editors")
    return Notice(f"Only {who} can review machine drafts.", ok=False)


def prefix_for(platform: str) -> str:
    return PREFIXES.get(platform, "/")


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
    can_edit: bool = True  # may review machine drafts (the front end decides, like can_manage)
    name: str = ""  # who the caller is, as a decision records it ("Olha (Discord 1234)")

    @property
    def reviewer(self) -> str:
        return self.name or self.user


CONSOLE = Caller()


def parse(line: str, platform: str = "console") -> Command | UsageError:
    """'/status Donetsk' -> Command; anything else -> UsageError with a usage line."""
    prefix = prefix_for(platform)
    help_usage = f"{prefix}help"
    if not isinstance(line, str):
        return UsageError("commands are text")
    if len(line) > MAX_LINE:
        return UsageError(f"that is {len(line):,} characters; a command is at most {MAX_LINE}", help_usage)
    text = clean_input(line, MAX_LINE)
    if not text:
        return UsageError(f"type a command, for example {prefix}status Donetsk", help_usage)
    head, _, rest = text.partition(" ")
    name = head.removeprefix("/").casefold()
    name = ALIASES.get(name, name)
    spec = COMMANDS.get(name)
    if spec is None:
        guess = process.extractOne(name, list(COMMANDS), score_cutoff=60)
        hint = f" Did you mean {prefix}{guess[0]}?" if guess else ""
        return UsageError(f"unknown command {prefix}{head.removeprefix('/')[:30]}.{hint}", help_usage)
    return bind(spec, rest.strip(), prefix)


def bind(spec: CommandSpec, rest: str, prefix: str = "/") -> Command | UsageError:
    args: dict[str, str] = {}
    words = rest.split()
    typed = [p for p in spec.params if p.typed]
    for i, p in enumerate(typed):
        if p.rest and i == len(typed) - 1:
            value = " ".join(words)
            words = []
        else:
            value = words.pop(0) if words else ""
        if value:
            args[p.name] = value
        elif p.required:
            return UsageError(f"{prefix}{spec.name} needs a {p.name}", spec.usage(prefix))
    if words:
        return UsageError(f"{prefix}{spec.name} takes no more than {len(typed)} argument(s)", spec.usage(prefix))
    return _bounded(spec, args, prefix)


def _bounded(spec: CommandSpec, args: dict[str, str], prefix: str) -> Command | UsageError:
    params = {p.name: p for p in spec.params}
    for key, value in args.items():
        param = params[key]
        if len(value) > param.max_len:
            return UsageError(
                f"the {key} is too long ({len(value)} characters; at most {param.max_len})", spec.usage(prefix)
            )
        if param.choices:
            value = value.casefold()
            if value not in param.choices:
                return UsageError(
                    f"{prefix}{spec.name} {value[:20]}: say {', '.join(param.choices)}", spec.usage(prefix)
                )
            args[key] = value
    return Command(spec.name, args)


def command_from_options(name: str, options: dict[str, str | None]) -> Command | UsageError:
    """For front ends with structured options (Discord): the same checks as `parse`."""
    spec = COMMANDS.get(name)
    if spec is None:
        return UsageError(f"unknown command /{name[:30]}", "/help")
    args: dict[str, str] = {}
    for p in spec.params:
        value = clean_input(options.get(p.name) or "", MAX_LINE)
        if value:
            args[p.name] = value
        elif p.required:
            return UsageError(f"/{spec.name} needs a {p.name}", spec.usage("/", picked=True))
    return _bounded(spec, args, "/")


def help_answer(platform: str = "console") -> HelpAnswer:
    """The command table as the platform writes it (Discord shows the channel it lets one pick)."""
    prefix = prefix_for(platform)
    rows = []
    for spec in COMMANDS.values():
        description = spec.description + (" (managers only)" if spec.manage else " (editors only)" if spec.edit else "")
        rows.append((spec.usage(prefix, picked=platform == "discord"), description))
    return HelpAnswer(tuple(rows))


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
        return Notice(SORRY, ok=False)


def run_line(ctx: Context, line: str, caller: Caller = CONSOLE) -> Answer:
    return execute(ctx, parse(line, caller.platform), caller)


def _execute(ctx: Context, command: Command, caller: Caller) -> Answer:
    args = command.args
    drafts = ctx.settings.show_drafts
    spec = COMMANDS[command.name]
    if spec.manage and not caller.can_manage:
        return managers_only(caller.platform, spec.name)
    if spec.edit and not caller.can_edit:
        return editors_only(caller.platform)
    match command.name:
        case "status":
            return queries.status(ctx.store, ctx.gazetteer, ctx.speakers, args["region"], include_drafts=drafts)
        case "quote":
            return queries.quotes(ctx.store, ctx.speakers, args["speaker"], include_drafts=drafts)
        case "digest":
            return _briefing(ctx, args.get("date"), drafts, prefix_for(caller.platform))
        case "contradictions":
            return queries.contradictions(ctx.store, ctx.gazetteer, args.get("region"), include_drafts=drafts)
        case "sources":
            return queries.sources(ctx.store)
        case "help":
            return help_answer(caller.platform)
        case "subscribe":
            return subscribe(ctx, _in_channel(caller, args), args.get("time"), args.get("timezone"))
        case "unsubscribe":
            return unsubscribe(ctx, _in_channel(caller, args))
        case "subscriptions":
            return subscriptions_answer(ctx, caller)
        case "review":
            return review_answer(ctx, caller, args.get("article"))
        case "feeds":
            return feeds_answer(ctx, args.get("action", "list"), args.get("url"), prefix_for(caller.platform))
    return UsageError(f"unknown command /{command.name}", "/help")  # pragma: no cover - COMMANDS is exhaustive


def _in_channel(caller: Caller, args: dict[str, str]) -> Caller:
    """The caller acting on the channel it picked (Discord's channel option), else its own."""
    channel = args.get("channel")
    if not channel:
        return caller
    return Caller(caller.platform, caller.workspace, channel, caller.user, caller.can_manage)


def _briefing(ctx: Context, date_text: str | None, drafts: bool, prefix: str) -> Answer:
    day = None
    if date_text:
        day = parse_day(date_text, ctx.clock().date())
        if day is None:
            return UsageError(f"cannot read a date in {date_text[:40]!r}", f"{prefix}digest [YYYY-MM-DD]")
        if not queries.has_day(ctx.store, day):
            near = queries.nearest_days(ctx.store, day)
            return NotFound("date", day.isoformat(), tuple(d.isoformat() for d in near))
    return queries.briefing(ctx.store, ctx.gazetteer, ctx.speakers, day=day, include_drafts=drafts)


def subscribe(ctx: Context, caller: Caller, local_time: str | None, timezone: str | None) -> Answer:
    """Subscribe the caller's channel (settings' time and zone by default)."""
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
        return UsageError(str(exc), COMMANDS["subscribe"].usage(prefix_for(caller.platform)))
    return SubscriptionChanged(caller.platform, caller.channel, True, sub.local_time, sub.timezone)


def unsubscribe(ctx: Context, caller: Caller) -> Answer:
    """Stop the daily digest in the caller's channel."""
    n = subscriptions.unsubscribe(
        ctx.store, platform=caller.platform, workspace=caller.workspace, channel=caller.channel
    )
    return SubscriptionChanged(caller.platform, caller.channel, False, changed=bool(n))


def subscriptions_answer(ctx: Context, caller: Caller) -> SubscriptionsAnswer:
    """Every daily digest of the caller's workspace (a Discord server, a Slack team, the console)."""
    rows = subscriptions.list_subscriptions(
        ctx.store, platform=caller.platform, workspace=caller.workspace, active_only=False
    )
    return SubscriptionsAnswer(
        caller.platform,
        tuple(
            SubscriptionLine(
                s.channel, s.local_time, s.timezone, s.active, s.last_posted_on, s.failing_reason, s.last_result
            )
            for s in rows
        ),
    )


# --------------------------------------------------------------------------------------------
# Reviewing machine drafts (the CLI has its own commands: bot/review_cli.py; both use core.review)


def desk(ctx: Context) -> Desk:
    return Desk(ctx.store, ctx.settings.summaries_dir)


def review_answer(ctx: Context, caller: Caller, article: str | None, page: int = 0) -> Answer:
    """`/review`: the drafts waiting; `/review ID`: that article's items, a page at a time."""
    review_desk = desk(ctx)
    if not article:
        return pending_answer(review_desk)
    try:
        sheet = review_desk.sheet(article.strip())
    except ReviewError:
        waiting = [p.source.article_id for p in review_desk.pending()]
        close = [m[0] for m in process.extract(article, waiting, limit=3, score_cutoff=50)]
        return NotFound("article", article, tuple(close))
    return sheet_answer(sheet, review_desk, page=page, per_page=REVIEW_PAGE_SIZE.get(caller.platform, 0))


def review_action(
    ctx: Context,
    caller: Caller,
    handle: str,
    verb: str,
    item: str,
    page: int,
    changes: dict[str, str] | None = None,
) -> Answer:
    """A press of a review control in chat (Discord button or menu, Slack action): the decision
    taken with the caller as reviewer, then the card's page as it now stands. Never raises."""
    if not caller.can_edit:
        return editors_only(caller.platform)
    article = articles.article_for_handle(ctx.store, handle)
    if article is None:
        return Notice("This draft is no longer stored; run /review again.", ok=False)
    review_desk = desk(ctx)
    per_page = REVIEW_PAGE_SIZE.get(caller.platform, 0)
    states = {"accept": ItemState.ACCEPTED, "reject": ItemState.REJECTED, "edit": ItemState.EDITED}
    message = None
    try:
        if verb in states:
            items = [item] if item else None
            review_desk.decide(
                article, items, states[verb], by=caller.reviewer, at=ctx.clock(), changes=changes if changes else None
            )
            done = {"accept": "accepted", "reject": "rejected", "edit": "edited"}[verb]
            what = item or "every undecided item"
            change = ", ".join(_change_words(ctx, k, v) for k, v in (changes or {}).items())
            message = f"{done} {what}" + (f" ({change})" if change else "") + f" — by {caller.reviewer}"
        elif verb == "promote":
            review_desk.promote(article, by=caller.reviewer, at=ctx.clock())
            message = f"marked reviewed — by {caller.reviewer}"
        elif verb != "page":
            return Notice("This control no longer works; run /review again.", ok=False)
        sheet = review_desk.sheet(article)
    except ReviewError as exc:
        return Notice(str(exc), ok=False)
    return sheet_answer(sheet, review_desk, page=page, per_page=per_page, message=message)


def _change_words(ctx: Context, field: str, value: str) -> str:
    if field == "claim" and value in ClaimType.__members__.values():
        return f"claim type → {CLAIM_DESCRIPTIONS[ClaimType(value)]}"
    if field in ("speaker", "asserted_by") and value in ctx.speakers:
        return f"{field.replace('_', ' ')} → {ctx.speakers.display_name(value)}"
    return f"{field.replace('_', ' ')} → {value}"


# --------------------------------------------------------------------------------------------
# Followed feeds from chat (the CLI's `briefbot feeds` does the same through bot.ingest)


def feeds_answer(ctx: Context, action: str, target: str | None, prefix: str = "/") -> Answer:
    from bot.ingest import storage

    usage = COMMANDS["feeds"].usage(prefix)
    if action == "list":
        rows = storage.list_feeds(ctx.store)
        return FeedsAnswer(
            tuple(
                FeedLine(
                    f.id, f.url, f.title, f.last_polled_at, f.next_poll_at, f.failures, f.last_error, f.last_status
                )
                for f in rows
            )
        )
    if not target:
        return UsageError(f"{prefix}feeds {action} needs the feed's address", usage)
    if action == "remove":
        found = storage.find_feed(ctx.store, target)
        if found is None:
            urls = [f.url for f in storage.list_feeds(ctx.store)]
            close = [m[0] for m in process.extract(target, urls, limit=3, score_cutoff=50)]
            return NotFound("feed", target, tuple(close))
        storage.remove_feed(ctx.store, found.id)
        return FeedChanged(found.url, following=False, title=found.title)
    return add_feed(ctx, target, usage)


def add_feed(ctx: Context, url: str, usage: str) -> Answer:
    """Follow a feed after fetching it once (it must parse as RSS, Atom or JSON Feed). Runs on a
    reader thread, so the fetch gets an event loop of its own there."""
    import asyncio

    from bot.ingest import storage
    from bot.ingest.feeds import FeedError, parse_feed
    from bot.ingest.fetch import Fetcher, FetchError

    if not url.startswith(("http://", "https://")):
        return UsageError("a feed is added by its http(s) address", usage)

    async def check() -> tuple[str | None, int]:
        async with Fetcher(ctx.settings) as fetcher:
            fetched = await fetcher.fetch(url)
        parsed = parse_feed(fetched.body, fetched.final_url)
        return parsed.title, len(parsed.entries)

    try:
        title, count = asyncio.run(check())
    except (FetchError, FeedError) as exc:
        return Notice(f"Not following {url[:200]}: {exc}", ok=False)
    feed, created = storage.add_feed(ctx.store, url, ctx.clock())
    if title:
        storage.set_feed_title(ctx.store, feed.id, title)
    return FeedChanged(
        url, following=True, changed=created, title=title, entries=count, poll_minutes=ctx.settings.feed_poll_minutes
    )


__all__ = [
    "COMMANDS",
    "CONSOLE",
    "Caller",
    "Command",
    "CommandSpec",
    "Param",
    "ParamKind",
    "execute",
    "help_answer",
    "parse",
    "prefix_for",
    "run_line",
    "subscribe",
    "unsubscribe",
]
