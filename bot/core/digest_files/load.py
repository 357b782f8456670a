"""Loading a folder of digest files into the store, and checking one without writing.

Unchanged files are skipped (by content hash), changed ones replace their article in one
transaction each, invalid ones are refused whole (their previously loaded version stays, and
the other files go on loading), and articles whose file was deleted lose what the file gave
them. Large folders are parsed by worker processes; writes stay in this process, in file order.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
import multiprocessing
import os
import re
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path

from bot.core import articles
from bot.core.db import Store
from bot.core.digest_files.errors import DigestFileError
from bot.core.digest_files.validate import SPEAKERS_FILE, ValidationContext, read_digest
from bot.core.gazetteer import load_gazetteer
from bot.core.models import ArticleDigest
from bot.core.speakers import Speaker, SpeakerRegistry, load_registry, read_registry_file, save_speakers

log = logging.getLogger(__name__)

PARALLEL_MIN_FILES = 400  # below this, starting worker processes costs more than it saves
PARALLEL_BATCH = 1024


@dataclass
class LoadReport:
    loaded: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    errors: list[DigestFileError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def digest_files(directory: Path) -> list[Path]:
    """The digest files of a folder (every `*.yaml` but the speaker registry), in name order."""
    return sorted(p for p in directory.glob("*.yaml") if p.name != SPEAKERS_FILE)


_TEXT_FILE_LINE = re.compile(rb"^\s*text_file:\s*['\"]?([^'\"\n#/\\]+?)['\"]?\s*(#.*)?$", re.MULTILINE)


def _file_hash(path: Path) -> str:
    """Hash of the digest file and its text file: a reload skips files whose hash is unchanged.
    Unreadable files hash to something that never matches, so they are validated (and refused)."""
    h = hashlib.sha256()
    try:
        if not path.is_file():
            return "not a regular file"
        raw = path.read_bytes()[: 4 * 1024 * 1024]
        h.update(raw)
        m = _TEXT_FILE_LINE.search(raw)
        text_path = path.parent / m.group(1).decode("utf-8") if m else None
        if text_path is not None and text_path.is_file():
            h.update(b"\0" + text_path.read_bytes())
        else:
            h.update(b"\0no text file")
    except (OSError, UnicodeDecodeError):
        return "unreadable"
    return h.hexdigest()


def _label(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


def _read_one(path: Path, ctx: ValidationContext) -> ArticleDigest | DigestFileError:
    try:
        return read_digest(path, ctx, label=_label(path))
    except DigestFileError as exc:
        return exc
    except Exception as exc:  # a file no check foresaw must not stop the others
        log.exception("reading %s failed", path)
        return DigestFileError(_label(path), None, "", f"cannot be read ({type(exc).__name__})")


@functools.cache
def _worker_context(speakers: tuple[Speaker, ...]) -> ValidationContext:
    """One validation context per worker process (the gazetteer takes a while to build)."""
    return ValidationContext(load_gazetteer(), SpeakerRegistry(list(speakers)))


def _read_in_worker(speakers: tuple[Speaker, ...], path: Path) -> ArticleDigest | DigestFileError:
    return _read_one(path, _worker_context(speakers))


def _read_all(paths: list[Path], ctx: ValidationContext, workers: int) -> Iterator[ArticleDigest | DigestFileError]:
    """Parse and validate files, in order; across worker processes for large folders.

    Parsing and validation are pure CPU work on independent files, so they spread over the
    cores; writing stays in this process, one transaction per article, in file order.
    """
    if workers <= 1 or len(paths) < PARALLEL_MIN_FILES:
        for path in paths:
            yield _read_one(path, ctx)
        return
    mp = multiprocessing.get_context("forkserver")
    mp.set_forkserver_preload(["bot.core.digest_files", "bot.core.gazetteer"])
    task = functools.partial(_read_in_worker, tuple(ctx.speakers.by_id.values()))
    done = 0
    try:
        with ProcessPoolExecutor(workers, mp_context=mp) as pool:
            # Batches bound what is parsed but not yet written: memory stays flat in the folder size.
            for start in range(0, len(paths), PARALLEL_BATCH):
                for result in pool.map(task, paths[start : start + PARALLEL_BATCH], chunksize=32):
                    yield result
                    done += 1
    except BrokenProcessPool:  # workers cannot start here (e.g. a __main__ read from stdin)
        log.warning("loader worker processes failed; parsing the remaining files in this process")
        yield from _read_all(paths[done:], ctx, 1)


def registry_for(store: Store, directory: Path) -> tuple[SpeakerRegistry, list[Speaker]]:
    reg_path = directory / SPEAKERS_FILE
    curated = read_registry_file(reg_path) if reg_path.is_file() else []
    registry = load_registry(store)
    for s in curated:
        registry.add(s)
    return registry, curated


def check_dir(directory: Path, store: Store | None = None) -> LoadReport:
    """Validate every digest file in a folder without writing anything."""
    report = LoadReport()
    own = store is None
    store = store or Store(":memory:")
    try:
        registry, _ = registry_for(store, directory)
    finally:
        if own:
            store.close()
    ctx = ValidationContext(load_gazetteer(), registry)
    ids: dict[str, str] = {}
    paths = digest_files(directory)
    for path, result in zip(paths, _read_all(paths, ctx, 1), strict=True):
        if isinstance(result, DigestFileError):
            report.errors.append(result)
            continue
        if result.meta.id in ids:
            report.errors.append(
                DigestFileError(_label(path), None, "id", f"duplicate article id (also in {ids[result.meta.id]})")
            )
            continue
        ids[result.meta.id] = path.name
        report.loaded.append(path.name)
    return report


def load_dir(
    store: Store,
    directory: Path,
    *,
    now: dt.datetime | None = None,
    only: Iterable[str] | None = None,
    workers: int | None = None,
) -> LoadReport:
    """Load a folder of digest files into the store (see the module docstring).

    What is already loaded is looked up per file, not held, and large folders are parsed by
    `workers` processes (default: one per core).
    """
    report = LoadReport()
    directory = Path(directory)
    if not directory.is_dir():
        report.errors.append(DigestFileError(str(directory), None, "", "no such folder"))
        return report
    loaded_at = (now or dt.datetime.now(dt.UTC)).isoformat()
    registry, curated = registry_for(store, directory)
    save_speakers(store, curated)
    ctx = ValidationContext(load_gazetteer(), registry)
    wanted = set(only) if only is not None else None
    pending: list[tuple[Path, str]] = []
    for path in digest_files(directory):
        if wanted is not None and path.name not in wanted:
            continue
        digest_hash = _file_hash(path)
        if articles.loaded_hash(store, path.name) == digest_hash:
            report.unchanged.append(path.name)
        else:
            pending.append((path, digest_hash))
    results = _read_all([p for p, _ in pending], ctx, workers if workers is not None else (os.cpu_count() or 1))
    for (path, digest_hash), result in zip(pending, results, strict=True):
        if isinstance(result, DigestFileError):
            report.errors.append(result)
            continue
        other = articles.digest_file_of(store, result.meta.id)
        if other and other != path.name:
            report.errors.append(DigestFileError(_label(path), None, "id", f"duplicate article id (also in {other})"))
            continue
        articles.write_digest(store, replace(result, source_file=path.name), digest_hash, loaded_at)
        report.loaded.append(path.name)
    if wanted is None:
        _forget_deleted(store, directory, report)
    return report


def _forget_deleted(store: Store, directory: Path, report: LoadReport) -> None:
    """Articles whose digest file is gone lose what the file gave them. A folder with no digest
    file and no speaker registry is far more likely the wrong folder than an editor deleting
    everything: then nothing is removed, and the report says why."""
    loaded = articles.loaded_file_names(store)
    gone = [
        (name, aid) for name, aid in loaded if not (directory / name).exists() and not (directory / name).is_symlink()
    ]
    wrong_folder = not digest_files(directory) and not (directory / SPEAKERS_FILE).exists()
    if gone and len(gone) == len(loaded) and wrong_folder:
        report.errors.append(
            DigestFileError(
                str(directory),
                None,
                "",
                f"holds no digest files, but {len(gone)} article(s) were loaded from files:"
                " nothing removed (wrong folder? delete the files one by one to remove them)",
            )
        )
        return
    for name, article_id in gone:
        articles.forget_digest_file(store, article_id)
        report.removed.append(name)
