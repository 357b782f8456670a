"""Click command of the extraction layer: `briefbot attributions` (drafting is `bot/draft_cli.py`).

`bot/cli.py` registers them on the main group; `python -m bot.extract.cli` runs them alone.
User mistakes (missing files, bad metadata, a person's file in the way) are short errors,
never tracebacks.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from bot.cli_options import with_settings
from bot.settings import Settings


def write_predictions(text_dir: Path, out: Path, model_dir: Path | None = None) -> int:
    """Attributions of every NAME.txt in a folder, one JSON line per document; returns the count.
    `model_dir`: another tagger than the shipped one (the training script scores its own)."""
    # imported here: `briefbot --help` and every other command start without the extractor
    from bot.extract.attribution_model import MODEL_DIR
    from bot.extract.attributions import extract_attributions
    from bot.extract.polnear import read_text

    files = sorted(p for p in text_dir.glob("*.txt") if p.is_file())
    with open(out, "w", encoding="utf-8") as handle:
        for path in files:
            attributions = extract_attributions(read_text(path), model_dir or MODEL_DIR)
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
@with_settings  # for --db and the settings' logging, like every command (the store is not used)
def attributions_command(text_dir: Path, out: Path, settings: Settings) -> None:
    """Extract attributions from every NAME.txt in TEXT_DIR into a JSON Lines file."""
    from bot.extract.attribution_model import AttributionModelMissing

    try:
        count = write_predictions(text_dir, out)
    except AttributionModelMissing as exc:
        raise click.ClickException(str(exc)) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise click.ClickException(f"cannot read or write: {exc}") from exc
    click.echo(f"{count} documents -> {out}")


@click.group()
def extract_cli() -> None:
    """briefbot extraction commands."""


extract_cli.add_command(attributions_command)


if __name__ == "__main__":
    sys.exit(extract_cli())
