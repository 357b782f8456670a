"""What a front end needs to answer a command: settings, the store, gazetteer, speakers, clock.

Built once per process by `open_context`; the embedded default store is created and loaded
from the digest folder (itself started from the packaged seed) on first use, so `briefbot`
works on a fresh clone or a fresh install with no setup.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.db import Store
from bot.core.digest_files import LoadReport, load_dir
from bot.core.digest_files.load import Progress
from bot.core.digest_files.seed import initialise_folder
from bot.core.gazetteer import Gazetteer, load_gazetteer
from bot.core.speakers import SpeakerRegistry, load_registry
from bot.settings import Settings

log = logging.getLogger(__name__)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class Context:
    settings: Settings
    store: Store
    gazetteer: Gazetteer
    speakers: SpeakerRegistry
    clock: Callable[[], dt.datetime] = field(default=utc_now)

    def close(self) -> None:
        self.store.close()

    def reload_speakers(self) -> None:
        self.speakers = load_registry(self.store)

    def load_summaries(self, directory: Path | None = None, *, progress: Progress | None = None) -> LoadReport:
        report = load_dir(self.store, directory or self.settings.summaries_dir, now=self.clock(), progress=progress)
        self.reload_speakers()
        return report


def open_context(
    settings: Settings,
    *,
    load_if_empty: bool = True,
    refresh: bool = False,
    clock: Callable[[], dt.datetime] = utc_now,
) -> Context:
    """Open the store. A digest folder that does not exist yet starts from the packaged seed; an
    empty store is loaded from the folder (the embedded default); `refresh` (used by `briefbot
    run`) also picks up digest files edited since the last load, which costs one hash per file for
    unchanged ones."""
    initialise_folder(settings.summaries_dir)
    store = Store(settings.db_path)
    ctx = Context(settings, store, load_gazetteer(), load_registry(store), clock)
    empty = store.one("SELECT 1 FROM articles LIMIT 1") is None
    if settings.summaries_dir.is_dir() and (refresh or (load_if_empty and empty)):
        report = ctx.load_summaries()
        for err in report.errors:
            log.warning("%s", err)
        if report.loaded or report.removed:
            log.info("loaded %d digest file(s), removed %d", len(report.loaded), len(report.removed))
    return ctx
