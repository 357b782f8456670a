"""Click commands of the extraction layer: `briefbot attributions`, `briefbot draft`, `briefbot review`.

`bot/cli.py` registers them on the main group; `python -m bot.extract.cli` runs them alone.
User mistakes (missing files, bad metadata, a person's file in the way) are short errors,
never tracebacks.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys
from pathlib import Path

import click
import yaml

from bot.core.digest_files import DigestFileError, default_context, slugify
from bot.core.gazetteer import load_gazetteer
from bot.core.models import ArticleMeta, Span
from bot.extract.attributions import AttributionModelMissing, extract_attributions
from bot.extract.draft import list_drafts, make_draft, write_draft
from bot.extract.polnear import read_text


def write_predictions(text_dir: Path, out: Path) -> int:
    """Attributions of every NAME.txt in a folder, one JSON line per document; returns the count."""
    files = sorted(p for p in text_dir.glob("*.txt") if p.is_file())
    with open(out, "w", encoding="utf-8") as handle:
        for path in files:
            attributions = extract_attributions(read_text(path))
            record = {"doc": path.stem, "attributions": [a.as_scorer_dict() for a in attributions]}
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return len(files)


@click.command("attributions")
@click.argument("text_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--jsonl",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="where to write the predictions (the scorer's JSON Lines format)",
)
def attributions_command(text_dir: Path, out: Path) -> None:
    """Extract attributions from every NAME.txt in TEXT_DIR into a JSON Lines file."""
    try:
        count = write_predictions(text_dir, out)
    except AttributionModelMissing as exc:
        raise click.ClickException(str(exc)) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"cannot read or write: {exc}") from exc
    click.echo(f"{count} documents -> {out}")


def _summaries_default() -> Path:
    from bot.settings import SettingsError, load_settings

    try:
        return load_settings().summaries_dir
    except SettingsError:
        return Path("summaries")


def _meta_from_yaml(path: Path) -> tuple[dict, Path]:
    """The article: block of a digest file, and its text file."""
    try:
        data = yaml.safe_load(path.read_text("utf-8"))
        article = dict(data["article"])
        article["captions"] = list(data.get("captions") or [])
        return article, path.parent / str(article["text_file"])
    except (OSError, UnicodeDecodeError, yaml.YAMLError, TypeError, KeyError) as exc:
        raise click.ClickException(f"{path}: not a readable digest file ({exc.__class__.__name__})") from None


@click.command("draft")
@click.argument("article", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--summaries", type=click.Path(file_okay=False, path_type=Path), help="digest folder (default: summaries/)"
)
@click.option("--id", "article_id", help="article id (default: DATE-PUBLISHER-TITLE)")
@click.option("--title", help="article title (default: the text's first line)")
@click.option("--publisher", help="publisher, e.g. Reuters")
@click.option("--published", help="publication date, YYYY-MM-DD")
@click.option("--url", help="article URL")
@click.option("--author")
def draft_command(
    article: Path,
    summaries: Path | None,
    article_id: str | None,
    title: str | None,
    publisher: str | None,
    published: str | None,
    url: str | None,
    author: str | None,
) -> None:
    """Write the machine draft of ARTICLE (a cleaned NAME.txt, or an existing digest NAME.yaml)
    as a digest file marked `review: draft`; a file a person edited or reviewed is kept."""
    summaries = summaries or _summaries_default()
    given = {"title": title, "publisher": publisher, "published": published, "url": url, "author": author}
    if article.suffix in (".yaml", ".yml"):
        fields, text_path = _meta_from_yaml(article)
        article_id = article_id or article.stem
    else:
        text_path = article
        beside = summaries / f"{article_id or article.stem}.yaml"
        fields = _meta_from_yaml(beside)[0] if beside.is_file() else {}
        if beside.is_file():
            article_id = article_id or beside.stem
    fields.update({k: v for k, v in given.items() if v})
    try:
        text = read_text(text_path)
    except (OSError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"cannot read the article text {text_path}: {exc}") from None
    if not text.strip():
        raise click.ClickException(f"{text_path}: the article text is empty, nothing to draft")
    first_line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    missing = [k for k in ("publisher", "published", "url") if not fields.get(k)]
    if missing:
        raise click.ClickException(f"missing article metadata: --{', --'.join(missing)}")
    try:
        day = fields["published"]
        day = day if isinstance(day, dt.date) else dt.date.fromisoformat(str(day))
    except ValueError:
        raise click.ClickException(f"--published: {fields['published']!r} is not a date (YYYY-MM-DD)") from None
    title = str(fields.get("title") or first_line[:200])
    article_id = article_id or slugify(day.isoformat(), str(fields["publisher"]), title)
    if not re.match(r"^[a-z0-9][a-z0-9._-]{0,120}$", article_id):
        raise click.ClickException(f"--id {article_id!r}: use lower-case letters, digits, '.', '_' and '-'")
    meta = ArticleMeta(
        id=article_id,
        title=title,
        publisher=str(fields["publisher"]),
        published=day,
        url=str(fields["url"]),
        author=str(fields["author"]) if fields.get("author") else None,
        language=str(fields.get("language") or "en"),
    )
    captions = []
    for caption in fields.get("captions") or []:
        start = text.find(str(caption))
        if start >= 0:
            captions.append(Span(start, start + len(str(caption)), str(caption)))
    ctx = default_context(summaries)
    try:
        result = make_draft(meta, text, ctx.speakers, load_gazetteer(), captions)
        outcome = write_draft(result, summaries, ctx)
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
    click.echo(
        f"{outcome.path}: draft written ({outcome.reason}): {len(d.quotes)} quotes, {len(d.claims)} claims, "
        f"{len(d.key_points)} key points, {len(d.contradictions)} candidate contradictions, "
        f"{len(result.new_speakers)} new draft speakers"
    )


@click.command("review")
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--promote", "promote", metavar="NAME", help="mark NAME.yaml reviewed (after a person checked it)")
def review_command(directory: Path | None, promote: str | None) -> None:
    """List the machine drafts of DIRECTORY (default: summaries/), or promote one to reviewed."""
    directory = directory or _summaries_default()
    if not directory.is_dir():
        raise click.ClickException(f"no such folder: {directory}")
    if promote:
        path = directory / (promote if promote.endswith(".yaml") else f"{promote}.yaml")
        if not path.is_file():
            raise click.ClickException(f"no digest file {path}")
        raw = path.read_text("utf-8")
        promoted, count = re.subn(r"(?m)^review: draft\s*$", "review: reviewed", raw, count=1)
        if not count:
            raise click.ClickException(f"{path} is not a draft")
        promoted = re.sub(r"(?m)^# drafter-sha256: [0-9a-f]{64}\n", "", promoted)
        promoted = re.sub(r"(?m)^# review: draft = .*\n", "", promoted)
        path.write_text(promoted, "utf-8")
        click.echo(f"{path}: marked reviewed")
        return
    drafts = list_drafts(directory)
    if not drafts:
        click.echo("no drafts")
        return
    for path, state in drafts:
        note = {"untouched-draft": "automatic, not reviewed", "edited": "edited by a person, not yet reviewed"}.get(
            state, "draft written by hand"
        )
        click.echo(f"{path.name}\t{note}")


@click.group()
def extract_cli() -> None:
    """briefbot extraction commands."""


for _command in (attributions_command, draft_command, review_command):
    extract_cli.add_command(_command)


if __name__ == "__main__":
    sys.exit(extract_cli())
