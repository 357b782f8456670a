"""The packaged seed: the curated digest files a fresh data folder starts from.

In the repository they are `summaries/`; an installed briefbot carries them as the package
`bot.seed` (pyproject maps one to the other). A digest folder that does not exist yet, or is
empty, is created from the seed on first run; an existing one is never touched (a file an editor
deleted stays deleted).
"""

from __future__ import annotations

import logging
import shutil
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

log = logging.getLogger(__name__)
SOURCE_CHECKOUT_SEED = Path(__file__).resolve().parents[3] / "summaries"


def seed_files() -> Traversable | Path | None:
    """The packaged seed folder (an installed briefbot), else the checkout's `summaries/`."""
    try:
        return resources.files("bot.seed")
    except ModuleNotFoundError:  # an editable install or a checkout: the files are in the tree
        return SOURCE_CHECKOUT_SEED if SOURCE_CHECKOUT_SEED.is_dir() else None


def initialise_folder(folder: Path) -> list[str]:
    """Create `folder` from the seed when it does not exist; returns the files copied. A folder
    that exists, even empty, is the user's: made for another story, or by a tool that fills it
    (the draft scorer drafts one article into an empty folder and reads back what is there)."""
    if folder.exists():
        return []
    seed = seed_files()
    if seed is None:
        log.warning("no packaged seed found: %s starts empty", folder)
        folder.mkdir(parents=True, exist_ok=True)
        return []
    if isinstance(seed, Path) and seed.resolve() == folder.resolve():
        return []
    folder.mkdir(parents=True, exist_ok=True)
    copied = []
    for item in seed.iterdir():
        if item.is_file() and item.name.endswith((".yaml", ".txt", ".md")):
            with item.open("rb") as source, open(folder / item.name, "wb") as target:
                shutil.copyfileobj(source, target)
            copied.append(item.name)
    log.info("started the digest folder %s from the packaged seed (%d files)", folder, len(copied))
    return sorted(copied)
