"""`briefbot web`: serve the web view; `briefbot web add-editor NAME` and friends: its accounts."""

from __future__ import annotations

import asyncio
import contextlib
import sys

import click

from bot.cli_options import with_settings
from bot.settings import Settings


@click.group("web", invoke_without_command=True)
@click.option("--host", default=None, help="Address to listen on (default: BRIEFBOT_WEB_HOST, 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default: BRIEFBOT_WEB_PORT, 8080).")
@with_settings
@click.pass_context
def web_group(click_ctx: click.Context, host: str | None, port: int | None, settings: Settings) -> None:
    """Serve the web view (http://127.0.0.1:8080/ by default): digests to read, drafts to review."""
    if click_ctx.invoked_subcommand is not None:
        return
    from bot.context import open_context
    from bot.frontends.web.server import serve

    ctx = open_context(settings, refresh=True)
    shown_host = host or settings.web_host
    shown_port = settings.web_port if port is None else port
    click.echo(f"briefbot web view on http://{shown_host}:{shown_port}/ (Ctrl-C stops it)", err=True)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(ctx, host, port))


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@web_group.command("add-editor")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@with_settings
def add_editor(name: str, password_stdin: bool, settings: Settings) -> None:
    """Create an editor of the web view (or give one a new password, which signs them out)."""
    from bot.context import open_context
    from bot.core.editors import AccountError, add_editor

    ctx = open_context(settings, load_if_empty=False)
    try:
        new = add_editor(ctx.store, name, _password(password_stdin), ctx.clock())
    except AccountError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"editor {name.strip().lower()} {'created' if new else 'has a new password'}")


@web_group.command("remove-editor")
@click.argument("name")
@with_settings
def remove_editor(name: str, settings: Settings) -> None:
    """Remove an editor of the web view (their sessions end at once)."""
    from bot.context import open_context
    from bot.core.editors import remove_editor

    ctx = open_context(settings, load_if_empty=False)
    if not remove_editor(ctx.store, name.strip().lower()):
        raise click.ClickException(f"no editor {name!r}")
    click.echo(f"editor {name.strip().lower()} removed")


@web_group.command("editors")
@with_settings
def list_editors(settings: Settings) -> None:
    """List the editors of the web view."""
    from bot.context import open_context
    from bot.core.editors import list_editors

    ctx = open_context(settings, load_if_empty=False)
    rows = list_editors(ctx.store)
    for name, created, last in rows:
        click.echo(f"{name}  created {created}  last sign-in {last or 'never'}")
    if not rows:
        click.echo("no editors yet: briefbot web add-editor NAME")
