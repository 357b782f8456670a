"""Loading a folder of digest files into the store, and checking one without writing.

Unchanged files are skipped (by content hash), changed ones replace their article in one
transaction each, invalid ones are refused whole (their previously loaded version stays, and
the other files go on loading), and articles whose file was deleted lose what the file gave
them. Large folders are parsed by worker processes; writes stay in this process, in file order.
"""

from __future__ import annotations

import collections
import datetime as dt
import functools
import hashlib
import itertools
import logging
import multiprocessing
import os
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

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
PARSE_CHUNK = 32  # files a worker parses per task
# Articles per transaction: with 64, loading was 12-18% slower (each commit rewrites the hot
# index pages to the log); the write lock is held about 0.3 s per batch.
WRITE_BATCH = 256
LOAD_WINDOW = 4096  # files hashed, parsed and written together: all that is held at once
NAMES_KEPT = 1000  # file names a report keeps per outcome (the counts are exact)

Progress = Callable[[int, int], None]  # (files done, files in the folder)
T = TypeVar("T")
R = TypeVar("R")


class FileNames:
    """The files a load reports under one outcome: the exact count, and the first NAMES_KEPT
    names (a folder of a million files must not cost memory per file). Compares equal to the
    list of its names when it holds them all."""

    __slots__ = ("count", "names")

    def __init__(self) -> None:
        self.count = 0
        self.names: list[str] = []

    def add(self, name: str) -> None:
        self.count += 1
        if len(self.names) < NAMES_KEPT:
            self.names.append(name)

    def __len__(self) -> int:
        return self.count

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __contains__(self, name: object) -> bool:
        return name in self.names

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FileNames):
            return (self.count, self.names) == (other.count, other.names)
        if isinstance(other, list):
            return self.count == len(other) and self.names == other
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        more = f" +{self.count - len(self.names)} more" if self.count > len(self.names) else ""
        return f"FileNames({self.names!r}{more})"


@dataclass
class LoadReport:
    loaded: FileNames = field(default_factory=FileNames)
    unchanged: FileNames = field(default_factory=FileNames)
    removed: FileNames = field(default_factory=FileNames)
    errors: list[DigestFileError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _is_digest_name(name: str) -> bool:
    """A digest file: every `*.yaml` but the speaker registry."""
    return name.endswith(".yaml") and name != SPEAKERS_FILE


def digest_files(directory: Path) -> list[Path]:
    """The digest files of a folder, in name order."""
    return sorted(p for p in directory.glob("*.yaml") if _is_digest_name(p.name))


class _SortedNames:
    """The digest file names of a folder, in name order, sorted in a scratch SQLite file rather
    than a list: a folder of a million files then costs the loader no memory per file."""

    def __init__(self, directory: Path) -> None:
        self._db = sqlite3.connect("")  # "": a private temporary file, deleted on close
        self._db.execute("CREATE TABLE names (name TEXT PRIMARY KEY) WITHOUT ROWID")
        with os.scandir(directory) as entries:
            batch: list[tuple[str]] = []
            for entry in entries:
                if _is_digest_name(entry.name):
                    batch.append((entry.name,))
                if len(batch) >= LOAD_WINDOW:
                    self._db.executemany("INSERT INTO names VALUES (?)", batch)
                    batch.clear()
            self._db.executemany("INSERT INTO names VALUES (?)", batch)
        self.count = int(self._db.execute("SELECT count(*) FROM names").fetchone()[0])

    def windows(self) -> Iterator[list[str]]:
        cursor = self._db.execute("SELECT name FROM names ORDER BY name")
        while rows := cursor.fetchmany(LOAD_WINDOW):
            yield [r[0] for r in rows]

    def __contains__(self, name: str) -> bool:
        return self._db.execute("SELECT 1 FROM names WHERE name = ?", [name]).fetchone() is not None

    def close(self) -> None:
        self._db.close()


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
    """How errors name a file: relative to the working directory when inside it."""
    folder = _folder_label(str(path.parent), os.getcwd())
    return path.name if folder == "." else os.path.join(folder, path.name)


@functools.lru_cache(maxsize=64)  # resolving costs a system call per path part, per file
def _folder_label(folder: str, cwd: str) -> str:
    try:
        return str(Path(folder).resolve().relative_to(Path(cwd).resolve()))
    except (ValueError, OSError):
        return folder


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


@dataclass(frozen=True, slots=True)
class _Unchanged:
    """A file whose hash is the one its article was loaded with: nothing to do."""


# What a worker makes of one file: unchanged, an error, or the rows of a valid file (its hash
# among them) ready to write.
_Outcome = _Unchanged | articles.DigestRows | DigestFileError


@dataclass(frozen=True, slots=True)
class _Prepare:
    """The loader's work on one file, done where it is parsed: hash it, and unless the hash is
    the one loaded (`loaded_hash`), parse, validate and turn it into rows."""

    loaded_at: str

    def __call__(self, file: tuple[Path, str | None], ctx: ValidationContext) -> _Outcome:
        path, loaded_hash = file
        digest_hash = _file_hash(path)
        if digest_hash == loaded_hash:
            return _Unchanged()
        result = _read_one(path, ctx)
        if isinstance(result, DigestFileError):
            return result
        return articles.digest_rows(replace(result, source_file=path.name), digest_hash, self.loaded_at)


def _run_chunk_in_worker(
    speakers: tuple[Speaker, ...], task: Callable[[Any, ValidationContext], R], items: list[Any]
) -> list[R]:
    ctx = _worker_context(speakers)
    return [task(item, ctx) for item in items]


class _Parser:
    """Runs a task on digest files, in order: in this process for a few, across worker
    processes for many (started on first need and kept for the whole load).

    Parsing and validation are pure CPU work on independent files, so they spread over the
    cores; writing stays in the loading process, in file order.
    """

    def __init__(self, ctx: ValidationContext, workers: int) -> None:
        self.ctx, self.workers = ctx, workers
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> _Parser:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown()

    def map(self, task: Callable[[T, ValidationContext], R], items: list[T]) -> Iterator[R]:
        """task(item, context) for each item, in order (`task` must pickle: a module-level
        function or a dataclass instance)."""
        if self._pool is None and (self.workers <= 1 or len(items) < PARALLEL_MIN_FILES):
            for item in items:
                yield task(item, self.ctx)
            return
        if self._pool is None:
            mp = multiprocessing.get_context("forkserver")
            mp.set_forkserver_preload(["bot.core.digest_files", "bot.core.gazetteer"])
            self._pool = ProcessPoolExecutor(self.workers, mp_context=mp)
        speakers = tuple(self.ctx.speakers.by_id.values())
        chunks = [items[i : i + PARSE_CHUNK] for i in range(0, len(items), PARSE_CHUNK)]
        inflight: collections.deque[Future[list[R]]] = collections.deque()
        done = 0
        try:
            # Chunks are submitted ahead of what is written, so the workers never wait for the
            # writer; at most PARALLEL_BATCH files are parsed but not yet written.
            for chunk in chunks:
                inflight.append(self._pool.submit(_run_chunk_in_worker, speakers, task, chunk))
                if len(inflight) * PARSE_CHUNK >= PARALLEL_BATCH:
                    for result in inflight.popleft().result():
                        yield result
                        done += 1
            while inflight:
                for result in inflight.popleft().result():
                    yield result
                    done += 1
        except BrokenProcessPool:  # workers cannot start here (e.g. a __main__ read from stdin)
            log.warning("loader worker processes failed; parsing the remaining files in this process")
            self._pool.shutdown(wait=False)
            self._pool, self.workers = None, 1
            yield from self.map(task, items[done:])


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
    with _Parser(ctx, 1) as parser:
        for path, result in zip(paths, parser.map(_read_one, paths), strict=True):
            if isinstance(result, DigestFileError):
                report.errors.append(result)
                continue
            if result.meta.id in ids:
                report.errors.append(
                    DigestFileError(_label(path), None, "id", f"duplicate article id (also in {ids[result.meta.id]})")
                )
                continue
            ids[result.meta.id] = path.name
            report.loaded.add(path.name)
    return report


def load_dir(
    store: Store,
    directory: Path,
    *,
    now: dt.datetime | None = None,
    only: Iterable[str] | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
) -> LoadReport:
    """Load a folder of digest files into the store (see the module docstring).

    Files go through in windows of LOAD_WINDOW, so memory does not grow with the folder; what
    is already loaded is looked up per window, not held; large folders are parsed by `workers`
    processes (default: one per core). `progress(done, total)` is called after each window.
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
    names = _SortedNames(directory)
    try:
        with _Parser(ctx, workers if workers is not None else (os.cpu_count() or 1)) as parser:
            done = 0
            for window in names.windows():
                done += len(window)
                if wanted is not None:
                    window = [name for name in window if name in wanted]
                _load_window(store, directory, window, parser, loaded_at, report)
                if progress is not None:
                    progress(done, names.count)
        if wanted is None:
            _forget_deleted(store, directory, names, report)
    finally:
        names.close()
    return report


def _load_window(
    store: Store, directory: Path, window: list[str], parser: _Parser, loaded_at: str, report: LoadReport
) -> None:
    """Load one window of files: hash them, skip the unchanged, parse the rest, and write them.

    Hashing, parsing, validation and making the rows happen in the workers (`_Prepare`); this
    process only writes. Each article is replaced whole, and WRITE_BATCH of them share a
    transaction: a commit costs about a millisecond of disk writes here, which alone held
    loading under 1,000 articles/s. The batch is taken once prepared, so the write lock is not
    held while the workers parse."""
    loaded = articles.loaded_hashes(store, window)
    files = [(directory / name, loaded.get(name)) for name in window]
    results = zip(window, parser.map(_Prepare(loaded_at), files), strict=True)
    while batch := list(itertools.islice(results, WRITE_BATCH)):
        with store.transaction():  # each write_rows joins it
            for name, result in batch:
                if isinstance(result, _Unchanged):
                    report.unchanged.add(name)
                elif isinstance(result, DigestFileError):
                    report.errors.append(result)
                else:
                    other = articles.digest_file_of(store, result.article_id)  # sees this batch's writes too
                    if other and other != name:
                        error = f"duplicate article id (also in {other})"
                        report.errors.append(DigestFileError(_label(directory / name), None, "id", error))
                        continue
                    articles.write_rows(store, result)
                    report.loaded.add(name)


def _forget_deleted(store: Store, directory: Path, names: _SortedNames, report: LoadReport) -> None:
    """Articles whose digest file is gone lose what the file gave them. A folder with no digest
    file and no speaker registry is far more likely the wrong folder than an editor deleting
    everything: then nothing is removed, and the report says why."""
    loaded = 0
    gone: list[tuple[str, str]] = []
    for name, article_id in articles.loaded_file_names(store):
        loaded += 1
        if name not in names and not (directory / name).exists() and not (directory / name).is_symlink():
            gone.append((name, article_id))
    wrong_folder = names.count == 0 and not (directory / SPEAKERS_FILE).exists()
    if gone and len(gone) == loaded and wrong_folder:
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
        report.removed.add(name)
