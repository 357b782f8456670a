"""`briefbot review`: editors' decisions on machine drafts from the command line.

    briefbot review                               articles with undecided items, counts per state
    briefbot review show ID                       every item: id, state, evidence in its paragraph
    briefbot review accept ID ITEM... | --all     accept items (--all: every undecided one)
    briefbot review reject ID ITEM... | --all     reject items (never shown again)
    briefbot review edit ID ITEM --claim TYPE ... change an item, within the verbatim text
    briefbot review promote ID                    mark the article reviewed (no item undecided)

Every decision takes `--by NAME` (default: BRIEFBOT_REVIEWER, else the system user), is written
into the article's digest file and loaded into the store at once. The work is done by
`bot.core.review`, the same functions the chat front ends and the web view call.
"""

from __future__ import annotations

import datetime as dt
import getpass
import sys

import click

from bot.cli_options import with_settings
from bot.context import Context, open_context
from bot.core.models import ItemState
from bot.core.review import Desk
from bot.settings import Settings


def _desk(settings: Settings) -> tuple[Context, Desk]:
    ctx = open_context(settings, refresh=True)
    return ctx, Desk(ctx.store, settings.summaries_dir)


def reviewer(settings: Settings, given: str | None) -> str:
    """Who decides: --by, else BRIEFBOT_REVIEWER, else the operating system's user."""
    if given:
        return given
    if settings.reviewer:
        return settings.reviewer
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown editor"


def _fail(exc: Exception) -> None:
    raise click.ClickException(str(exc))


@click.group("review", invoke_without_command=True)
@click.pass_context
def review_group(click_ctx: click.Context) -> None:
    """Review machine drafts item by item (with no subcommand: list what is waiting)."""
    if click_ctx.invoked_subcommand is None:
        click_ctx.invoke(pending_command)


@review_group.command("list")
@with_settings
def pending_command(settings: Settings) -> None:
    """Articles with undecided items, newest first, with counts per state."""
    from bot.core.review import pending_answer
    from bot.render.text import render_text

    _ctx, desk = _desk(settings)
    click.echo(render_text(pending_answer(desk)))


@review_group.command("show")
@click.argument("article_id")
@with_settings
def show_command(article_id: str, settings: Settings) -> None:
    """Every item of ARTICLE_ID with its id, state and evidence in its paragraph."""
    from bot.core.review import ReviewError, sheet_answer
    from bot.render.text import render_text

    _ctx, desk = _desk(settings)
    try:
        sheet = desk.sheet(article_id)
    except ReviewError as exc:
        _fail(exc)
    click.echo(render_text(sheet_answer(sheet, desk)))
    if sheet.undecided:
        click.echo(
            f"\nnext: briefbot review accept {article_id} ITEM... | reject ... | edit {article_id} ITEM --claim TYPE"
        )


def _decide(
    settings: Settings,
    article_id: str,
    items: tuple[str, ...],
    every: bool,
    state: ItemState,
    by: str | None,
    changes: dict[str, str] | None = None,
) -> None:
    from bot.core.review import ReviewError

    if bool(items) == every:
        raise click.UsageError("name the items (q3 c7 ...) or give --all, not both")
    _ctx, desk = _desk(settings)
    who = reviewer(settings, by)
    try:
        sheet = desk.decide(
            article_id, None if every else items, state, by=who, at=dt.datetime.now(dt.UTC), changes=changes
        )
    except ReviewError as exc:
        _fail(exc)
    counts = ", ".join(f"{n} {s.value}" for s, n in sheet.counts().items() if n)
    done = "every undecided item" if every else " ".join(items)
    verb = {ItemState.ACCEPTED: "accepted", ItemState.REJECTED: "rejected", ItemState.EDITED: "edited"}[state]
    click.echo(f"{article_id}: {verb} {done} (by {who}); now {counts}")


by_option = click.option(
    "--by", "by", metavar="NAME", help="Who decides (default: BRIEFBOT_REVIEWER, else your user name)."
)


@review_group.command("accept")
@click.argument("article_id")
@click.argument("items", nargs=-1)
@click.option("--all", "every", is_flag=True, help="Every undecided item of the article.")
@by_option
@with_settings
def accept_command(article_id: str, items: tuple[str, ...], every: bool, by: str | None, settings: Settings) -> None:
    """Accept items of ARTICLE_ID: they are shown as reviewed."""
    _decide(settings, article_id, items, every, ItemState.ACCEPTED, by)


@review_group.command("reject")
@click.argument("article_id")
@click.argument("items", nargs=-1)
@click.option("--all", "every", is_flag=True, help="Every undecided item of the article.")
@by_option
@with_settings
def reject_command(article_id: str, items: tuple[str, ...], every: bool, by: str | None, settings: Settings) -> None:
    """Reject items of ARTICLE_ID: they are never shown."""
    _decide(settings, article_id, items, every, ItemState.REJECTED, by)


@review_group.command("edit")
@click.argument("article_id")
@click.argument("item")
@click.option("--claim", help="Claim type (annexed, controls, occupied, withdrew, ...).")
@click.option("--actor", help="Who the claim is about (Russia, Ukraine, ...).")
@click.option("--asserted-by", "asserted_by", help="Who asserts the claim: a speaker, or 'article'.")
@click.option("--region", help="The region (any spelling the gazetteer knows).")
@click.option("--speaker", help="Who said the statement: a speaker's name or id.")
@click.option("--kind", type=click.Choice(["direct", "indirect", "mixed"]), help="How the statement is reported.")
@click.option("--words", help="The statement's words: verbatim from the article.")
@click.option("--evidence", help="A claim's or key point's evidence: verbatim from the article.")
@by_option
@with_settings
def edit_command(article_id: str, item: str, by: str | None, settings: Settings, **fields: str | None) -> None:
    """Change ITEM of ARTICLE_ID and accept it as edited (every change stays verbatim)."""
    changes = {k: v for k, v in fields.items() if v is not None}
    if not changes:
        raise click.UsageError(
            "say what changes: --claim, --actor, --asserted-by, --region, --speaker, --kind, --words"
        )
    _decide(settings, article_id, (item,), False, ItemState.EDITED, by, changes)


@review_group.command("promote")
@click.argument("article_id")
@by_option
@with_settings
def promote_command(article_id: str, by: str | None, settings: Settings) -> None:
    """Mark ARTICLE_ID reviewed; refused while any item is undecided."""
    from bot.core.review import ReviewError

    _ctx, desk = _desk(settings)
    try:
        desk.promote(article_id, by=reviewer(settings, by), at=dt.datetime.now(dt.UTC))
    except ReviewError as exc:
        click.echo(f"error: {article_id}: {exc}", err=True)
        sys.exit(1)
    click.echo(f"{article_id}: reviewed")
