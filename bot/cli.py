"""The `briefbot` command: run the bot, ask it a question, load and check digest files.

Every command takes `--db PATH` (default: BRIEFBOT_DB, else the embedded default store).
Subsystems (ingestion, extraction) define their own click commands in their packages; they
are registered here, so `briefbot --help` lists everything.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from tqdm import tqdm

from bot import __version__
from bot.cli_options import db_option, with_settings
from bot.core.digest_files import check_dir
from bot.settings import Settings


@click.group(invoke_without_command=True)
@click.version_option(__version__, prog_name="briefbot")
@db_option
@click.pass_context
def cli(ctx: click.Context, db_path: Path | None) -> None:
    """briefbot: curated, source-grounded news digests for Discord, Slack and the terminal.

    With no command: runs the bot (the local console when no chat token is set). `--db PATH`
    may come before the command or after it.
    """
    ctx.ensure_object(dict)["db_path"] = db_path
    if ctx.invoked_subcommand is None:
        ctx.invoke(run)


@cli.command()
@with_settings
def run(settings: Settings) -> None:
    """Run the bot: Discord and/or Slack when their tokens are set, else the local console."""
    from bot.context import open_context
    from bot.runner import main

    main(open_context(settings, refresh=True))


@cli.command()
@click.argument("line", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
@with_settings
def ask(line: tuple[str, ...], as_json: bool, settings: Settings) -> None:
    """Answer one command, e.g. briefbot ask "/status Donetsk"."""
    from bot.context import open_context
    from bot.frontends.console import answer_line

    ctx = open_context(settings, refresh=True)
    text, ok = answer_line(ctx, " ".join(line), as_json=as_json)
    click.echo(text)
    sys.exit(0 if ok else 1)


@cli.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@with_settings
def load(directory: Path | None, settings: Settings) -> None:
    """Validate the digest files of DIRECTORY (default: summaries/) and load them into the store."""
    from bot.context import open_context

    ctx = open_context(settings, load_if_empty=False)
    # Counts, rate and time left on a terminal; nothing when piped or redirected. The bar starts
    # at the first window, when the folder's size is known.
    bars: list[tqdm] = []

    def step(done: int, total: int) -> None:
        if not bars:
            bars.append(tqdm(total=total, unit="file", file=sys.stderr, disable=not sys.stderr.isatty()))
        bars[0].update(done - bars[0].n)

    try:
        report = ctx.load_summaries(directory or settings.summaries_dir, progress=step)
    finally:
        for bar in bars:
            bar.close()
    for err in report.errors:
        click.echo(f"error: {err}", err=True)
    click.echo(
        f"{len(report.loaded)} loaded, {len(report.unchanged)} unchanged, "
        f"{len(report.removed)} removed, {len(report.errors)} refused"
    )
    sys.exit(0 if report.ok else 1)


@cli.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@with_settings
def check(directory: Path | None, settings: Settings) -> None:
    """Validate digest files without writing anything (for editors and their CI)."""
    directory = directory or settings.summaries_dir
    if not directory.is_dir():
        raise click.ClickException(f"no such folder: {directory}")
    report = check_dir(directory)
    for err in report.errors:
        click.echo(f"error: {err}", err=True)
    click.echo(f"{len(report.loaded)} valid, {len(report.errors)} invalid")
    sys.exit(0 if report.ok else 1)


@cli.command("settings")
@click.option("--example", is_flag=True, help="Print .env.example: every setting with its description.")
@with_settings
def settings_command(example: bool, settings: Settings) -> None:
    """Show the settings in effect (secrets masked), or with --example the documented .env file."""
    from bot.settings import env_example, env_names

    if example:
        click.echo(env_example(), nl=False)
        return
    names = env_names()
    for name, value in settings:
        shown = "(set)" if hasattr(value, "get_secret_value") and value else value
        if hasattr(value, "get_secret_value") and not value:
            shown = "(unset)"
        click.echo(f"{names[name]}={'' if shown is None else shown}")


from bot.ingest.cli import feeds, ingest  # noqa: E402  (ingestion registers its commands)

cli.add_command(ingest)
cli.add_command(feeds)

from bot.draft_cli import draft_command  # noqa: E402
from bot.extract.cli import attributions_command  # noqa: E402
from bot.frontends.web.cli import web_group  # noqa: E402
from bot.review_cli import review_group  # noqa: E402

for _command in (attributions_command, draft_command, review_group, web_group):
    cli.add_command(_command)


def main() -> None:
    cli(prog_name="briefbot")


if __name__ == "__main__":
    main()
