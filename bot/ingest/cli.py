"""The `briefbot ingest` and `briefbot feeds` commands (registered in bot/cli.py).

`ingest SOURCE...` stores URLs, saved pages, pasted-text files and feeds (URL or file), one line
(or with --json one JSON object) per article or refused source; the exit status is 1 when any
source was refused. `feeds add/list/remove/poll` manage the followed feeds that the running bot
polls every BRIEFBOT_FEED_POLL_MINUTES. Run standalone as `python -m bot.ingest.cli`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import sys

import click

from bot.cli_options import with_settings
from bot.core.db import Store
from bot.settings import Settings


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _store(settings: Settings) -> Store:
    """The store as every command sees it: its digest folder started from the seed when new,
    and the digest files loaded (a poll drafts into that folder)."""
    from bot.context import open_context

    return open_context(settings, refresh=True).store


@click.command()
@click.argument("sources", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per stored article or refused source.")
@click.option("--no-skeleton", is_flag=True, help="Do not write digest-file skeletons into summaries/.")
@click.option(
    "--workers",
    type=click.IntRange(0, 16),
    default=0,
    show_default=True,
    help="Extraction worker processes (0: extract in this process; 2 on a 2-core machine for big batches).",
)
@click.option("--title", help="A local file's title (default: what the file says, else its first line).")
@click.option("--outlet", help="A local file's outlet, e.g. Reuters.")
@click.option("--published", metavar="YYYY-MM-DD", help="A local file's publication date.")
@click.option("--url", help="A local file's web address.")
@click.option("--author", help="A local file's author.")
@with_settings
def ingest(
    sources: tuple[str, ...],
    as_json: bool,
    no_skeleton: bool,
    workers: int,
    settings: Settings,
    **meta_options: str | None,
) -> None:
    """Store articles from URLs, saved HTML pages, pasted-text files and RSS/Atom/JSON feeds.

    A local file needs its publication date and web address: from the file itself, from
    NAME.json beside it ({"title", "outlet", "published", "url"}), or from the options.
    """
    from bot.context import open_context
    from bot.ingest.file_meta import FileMetaError, from_options
    from bot.ingest.pipeline import Ingestor, extraction_pool

    try:
        file_meta = from_options(**meta_options)
    except FileMetaError as exc:
        raise click.UsageError(str(exc)) from None
    local = [s for s in sources if "://" not in s]
    if not file_meta.empty and len(local) != 1:
        raise click.UsageError(
            "--title, --outlet, --published, --url and --author describe one local file; "
            "for several, put a NAME.json beside each"
        )
    ctx = open_context(settings, refresh=True)  # the seed and every digest file loaded first
    store = ctx.store
    executor = extraction_pool(workers) if workers else None
    try:
        ingestor = Ingestor(
            store,
            settings,
            clock=_now,
            executor=executor,
            export_skeletons=not no_skeleton,
            progress=not as_json and sys.stderr.isatty(),
            file_meta=file_meta,
        )
        results = asyncio.run(ingestor.ingest(sources))
    finally:
        if executor is not None:
            executor.shutdown()
        store.close()
    for result in results:
        if as_json:
            click.echo(json.dumps(result.to_json(), ensure_ascii=False))
        elif result.status == "refused":
            click.echo(result.line(), err=True)
        else:
            click.echo(result.line())
    counts = {s: sum(1 for r in results if r.status == s) for s in ("new", "updated", "duplicate", "refused")}
    if not as_json:
        click.echo(", ".join(f"{n} {s}" for s, n in counts.items()), err=True)
    sys.exit(1 if counts["refused"] else 0)


@click.group()
def feeds() -> None:
    """Follow feeds: the running bot polls them every BRIEFBOT_FEED_POLL_MINUTES."""


@feeds.command("add")
@click.argument("url")
@click.option("--no-check", is_flag=True, help="Add without fetching the feed once to check it.")
@with_settings
def feeds_add(url: str, no_check: bool, settings: Settings) -> None:
    """Follow the feed at URL (checked once: it must be a readable RSS, Atom or JSON feed)."""
    from bot.ingest import storage
    from bot.ingest.feeds import FeedError, parse_feed
    from bot.ingest.fetch import Fetcher, FetchError

    if not url.startswith(("http://", "https://")):
        raise click.ClickException("a feed is added by its http(s) address")
    title = None
    if not no_check:

        async def check() -> tuple[str | None, int]:
            async with Fetcher(settings) as fetcher:
                fetched = await fetcher.fetch(url)
            parsed = parse_feed(fetched.body, fetched.final_url)
            return parsed.title, len(parsed.entries)

        try:
            title, count = asyncio.run(check())
        except (FetchError, FeedError) as exc:
            raise click.ClickException(f"{url}: {exc}") from None
    with _store(settings) as store:
        feed, created = storage.add_feed(store, url, _now())
        if title:
            storage.set_feed_title(store, feed.id, title)
    if not created:
        click.echo(f"already following feed {feed.id}: {feed.url}")
        return
    label = f" ({title}, {count} entries)" if title else ""
    click.echo(f"following feed {feed.id}: {url}{label}; polled every {settings.feed_poll_minutes:g} minutes")


@feeds.command("list")
@click.option("--json", "as_json", is_flag=True)
@with_settings
def feeds_list(as_json: bool, settings: Settings) -> None:
    """The followed feeds, their last poll and failures."""
    from bot.ingest import storage

    with _store(settings) as store:
        rows = storage.list_feeds(store)
    if as_json:
        for f in rows:
            click.echo(json.dumps({k: getattr(f, k) for k in f.__slots__}, ensure_ascii=False))
        return
    if not rows:
        click.echo("no feeds followed; add one with: briefbot feeds add URL")
        return
    for f in rows:
        state = f"failing ({f.failures}x: {f.last_error})" if f.failures else (f.last_status or "not polled yet")
        click.echo(
            f"{f.id:>3}  {f.url}  {f.title or ''}\n     last poll {f.last_polled_at or '-'}, "
            f"next {f.next_poll_at or '-'}, {state}"
        )


@feeds.command("remove")
@click.argument("feed")
@with_settings
def feeds_remove(feed: str, settings: Settings) -> None:
    """Stop following FEED (its id or URL); its articles stay."""
    from bot.ingest import storage

    with _store(settings) as store:
        found = storage.find_feed(store, feed)
        if found is None:
            raise click.ClickException(f"no followed feed {feed!r} (see: briefbot feeds list)")
        storage.remove_feed(store, found.id)
    click.echo(f"stopped following feed {found.id}: {found.url}")


@feeds.command("poll")
@click.option("--all", "poll_all", is_flag=True, help="Poll every feed now, not only those due.")
@with_settings
def feeds_poll(poll_all: bool, settings: Settings) -> None:
    """Poll the due feeds once now (what the running bot does on its interval)."""
    from bot.ingest import storage
    from bot.ingest.polling import poll_feeds

    with _store(settings) as store:
        if poll_all:
            storage.make_all_due(store)
        results = asyncio.run(poll_feeds(store, settings, _now))
    if not results:
        click.echo("no feed is due")
    for r in results:
        detail = r.error if r.status == "failed" else f"{r.new_articles} new"
        click.echo(f"feed {r.feed_id} {r.status}: {detail}")


@click.group()
def main() -> None:
    """briefbot ingestion commands (standalone entry point)."""


main.add_command(ingest)
main.add_command(feeds)

if __name__ == "__main__":
    main()
