"""`briefbot draft`: the machine draft of one article, written as a digest file and loaded at once.

    briefbot draft ARTICLE_ID          a stored article (ingested or loaded), drafted under its own id
    briefbot draft NAME.txt [options]  a cleaned article text; metadata from the options, else
                                       NAME.json beside it, else the digest file of the same id
    briefbot draft NAME.yaml           the text and metadata of an existing digest file

A text that is already stored (the same words) is drafted under the stored article's id, so it
is never listed twice. A file a person edited or reviewed is kept; a draft an editor has started
is redrafted with every decision kept (bot/extract/draft.py). The draft goes into the digest
folder of the store in use (`--db`, BRIEFBOT_DB, BRIEFBOT_SUMMARIES) and is loaded into it.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from pathlib import Path
from typing import Any

import click

from bot.cli_options import with_settings
from bot.core import articles
from bot.core.articles import ArticleSource
from bot.core.db import Store
from bot.core.digest_files import DigestFileError, default_context, load_dir, parse_yaml, slugify
from bot.core.gazetteer import load_gazetteer
from bot.core.models import ArticleMeta, Span
from bot.ingest.file_meta import FileMeta, FileMetaError, from_options, read_sidecar
from bot.settings import Settings

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,120}$")


def _digest_file_meta(path: Path) -> tuple[FileMeta, Path, list[str]]:
    """The `article:` block of a digest file, its text file and its captions."""
    try:
        data, _ = parse_yaml(path.read_text("utf-8"), path.name)
        article = dict(data["article"])
        meta = FileMeta(
            title=article.get("title"),
            publisher=article.get("publisher"),
            published=dt.date.fromisoformat(str(article["published"])) if article.get("published") else None,
            url=article.get("url"),
            author=article.get("author"),
        )
        return meta, path.parent / str(article["text_file"]), [str(c) for c in data.get("captions") or []]
    except (OSError, UnicodeDecodeError, DigestFileError, TypeError, KeyError, ValueError) as exc:
        raise click.ClickException(f"{path}: not a readable digest file ({exc.__class__.__name__})") from None


def _source(
    given: str, summaries: Path, store: Store, options: FileMeta, article_id: str | None
) -> tuple[ArticleSource | None, FileMeta, str, str | None, list[str]]:
    """(the stored article, metadata, text, id, captions) of what the user named."""
    path = Path(given)
    if not path.exists():
        stored = articles.article_source(store, given)
        if stored is None:
            from rapidfuzz import process

            close = [m[0] for m in process.extract(given, articles.article_ids(store), limit=3, score_cutoff=60)]
            hint = f" (closest: {', '.join(close)})" if close else ""
            raise click.ClickException(f"no such file or stored article: {given[:120]}{hint}")
        return stored, FileMeta(), stored.text, stored.meta.id, []
    if path.is_dir():
        raise click.ClickException(f"{path} is a folder: name one article file or a stored article id")
    if path.suffix in (".yaml", ".yml"):
        meta, text_path, captions = _digest_file_meta(path)
        return None, meta, _read(text_path), article_id or path.stem, captions
    text = _read(path)
    stored = articles.article_with_text(store, text) if text.strip() else None
    try:
        sidecar = read_sidecar(path) if path.suffix != ".json" else FileMeta()
    except FileMetaError as exc:
        raise click.ClickException(str(exc)) from None
    beside = summaries / f"{article_id or path.stem}.yaml"
    caption_texts: list[str] = []
    meta = sidecar
    if beside.is_file():
        from_digest, _text_path, caption_texts = _digest_file_meta(beside)
        meta = sidecar.over(from_digest)
        article_id = article_id or beside.stem
    if stored is not None:  # the same words are stored: draft that article, never a second copy
        return stored, meta, text, stored.meta.id, caption_texts
    return None, meta, text, article_id, caption_texts


def _read(path: Path) -> str:
    from bot.extract.polnear import read_text

    try:
        return read_text(path)
    except (OSError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"cannot read the article text {path}: {exc}") from None


@click.command("draft")
@click.argument("article")
@click.option(
    "--summaries", type=click.Path(file_okay=False, path_type=Path), help="Digest folder (default: the store's)."
)
@click.option("--id", "article_id", help="Article id (default: DATE-OUTLET-TITLE, or the stored article's).")
@click.option("--title", help="Article title (default: the text's first line).")
@click.option("--outlet", "--publisher", "outlet", help="Outlet, e.g. Reuters.")
@click.option("--published", metavar="YYYY-MM-DD", help="Publication date.")
@click.option("--url", help="The article's web address.")
@click.option("--author")
@with_settings
def draft_command(
    article: str,
    summaries: Path | None,
    article_id: str | None,
    settings: Settings,
    title: str | None,
    outlet: str | None,
    published: str | None,
    url: str | None,
    author: str | None,
) -> None:
    """Write the machine draft of ARTICLE (a stored article id, a cleaned NAME.txt, or a digest
    NAME.yaml) as a digest file marked `review: draft`, and load it."""
    from bot.context import open_context

    try:
        options = from_options(title, outlet, published, url, author)
    except FileMetaError as exc:
        raise click.UsageError(str(exc)) from None
    ctx = open_context(settings, refresh=True)
    folder = summaries or settings.summaries_dir
    stored, found, text, article_id, caption_texts = _source(article, folder, ctx.store, options, article_id)
    if not text.strip():
        raise click.ClickException(f"{article}: the article text is empty, nothing to draft")
    base = stored.meta if stored is not None else None
    meta = options.over(found)
    if base is not None:
        meta = meta.over(FileMeta(base.title, base.publisher, base.published, base.url, base.author))
    missing = [
        o for o, v in (("--outlet", meta.publisher), ("--published", meta.published), ("--url", meta.url)) if not v
    ]
    if missing:
        raise click.ClickException(
            f"missing article metadata: {', '.join(missing)} (or a {Path(article).stem}.json beside the text)"
        )
    assert meta.published is not None and meta.publisher is not None and meta.url is not None
    first_line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    title = meta.title or first_line[:200]
    article_id = article_id or slugify(meta.published.isoformat(), meta.publisher, title)
    if not ID_PATTERN.match(article_id):
        raise click.ClickException(f"--id {article_id!r}: use lower-case letters, digits, '.', '_' and '-'")
    digest_meta = ArticleMeta(
        id=article_id,
        title=title,
        publisher=meta.publisher,
        published=meta.published,
        url=meta.url,
        author=meta.author,
        language=base.language if isinstance(base, ArticleMeta) else "en",
    )
    captions = list(stored.captions) if stored is not None else []
    for caption in caption_texts:
        start = text.find(caption)
        if start >= 0:
            captions.append(Span(start, start + len(caption), caption))
    _write(ctx.store, folder, digest_meta, text, captions, ctx.settings.draft_min_confidence)


def _write(
    store: Store, folder: Path, meta: ArticleMeta, text: str, captions: list[Span], min_confidence: float
) -> None:
    # the extractor (and the NLP libraries under it) load only when a draft is made
    from bot.extract.attribution_model import AttributionModelMissing
    from bot.extract.draft import make_draft, write_draft

    vctx = default_context(folder)
    try:
        result = make_draft(meta, text, vctx.speakers, load_gazetteer(), captions, min_confidence=min_confidence)
        outcome = write_draft(result, folder, vctx)
    except AttributionModelMissing as exc:
        raise click.ClickException(str(exc)) from None
    except DigestFileError as exc:
        raise click.ClickException(f"the draft did not validate, nothing written: {exc}") from None
    except OSError as exc:
        raise click.ClickException(f"cannot write the draft: {exc}") from None
    d = result.digest
    if not outcome.written:
        click.echo(f"{outcome.path}: {outcome.reason}; no draft written")
        sys.exit(1)
    report = load_dir(store, folder, only=[outcome.path.name], workers=1)
    loaded: Any = "loaded" if not report.errors else f"not loaded: {report.errors[0]}"
    click.echo(
        f"{outcome.path}: draft written ({outcome.reason}), {loaded}: {len(d.quotes)} quotes, "
        f"{len(d.claims)} claims, {len(d.key_points)} key points, {len(d.contradictions)} candidate "
        f"contradictions, {len(result.new_speakers)} new draft speakers"
    )
    click.echo(f"next: briefbot review show {meta.id}")
