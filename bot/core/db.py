"""The store object: owns the SQLite connections, transactions and migrations of briefbot.

In the spirit of datasette's `Database`: every query and write of the bot goes through one
`Store`, which hands each thread its own connection (opened on first use, never shared), runs
writes in `BEGIN IMMEDIATE` transactions, and offers the event loop two ways out of it:
`await store.run(fn, ...)` runs read work on a small pool of reader threads, and
`await store.run_write(fn, ...)` runs write work on the store's one writer thread, so writes
from the event loop are serialised and never block it.

Schema changes are named migrations (`bot/core/schema.py`), recorded in the `migrations`
table; a database holding a migration this briefbot does not know is refused.

This class is the seam for a second backend: a PostgreSQL store would offer the same methods
(connections from a pool, the same transaction and migration rules) and its own dialect of the
few SQLite-specific statements of the SQL modules (`queries.py`, `articles.py`, `outbox.py`...).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import shutil
import sqlite3
import tempfile
import threading
import weakref
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import sqlite_utils

from bot.core.schema import MIGRATIONS, Migration

P = ParamSpec("P")
T = TypeVar("T")


class StoreError(RuntimeError):
    """The database cannot be used as it is (too new, unreadable); the message says why."""


PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=10000",
    # A bounded page cache (64 MB): index pages of a large store stay in memory, and memory use
    # stays flat however large the store grows.
    "PRAGMA cache_size=-65536",
    "PRAGMA temp_store=MEMORY",
)
READER_THREADS = 4


@functools.cache
def insert_sql(table: str, columns: tuple[str, ...], pk: str | None = None, keep_stored: tuple[str, ...] = ()) -> str:
    """`INSERT` of `columns`; with `pk`, an upsert that updates the other columns where the key
    is stored, except `keep_stored` ones, which keep a stored value and take the new one only
    where none was."""
    names = ", ".join(f'"{c}"' for c in columns)
    sql = f'INSERT INTO "{table}" ({names}) VALUES ({", ".join("?" * len(columns))})'
    if pk is None:
        return sql
    updates = [f'"{c}" = excluded."{c}"' for c in columns if c != pk and c not in keep_stored]
    updates += [f'"{c}" = coalesce("{c}", excluded."{c}")' for c in keep_stored if c in columns]
    action = f"DO UPDATE SET {', '.join(updates)}" if updates else "DO NOTHING"
    return f'{sql} ON CONFLICT("{pk}") {action}'


def upsert(conn: sqlite3.Connection, table: str, rows: list[dict[str, Any]], pk: str) -> None:
    """Insert rows, or update the columns they carry where their `pk` is already stored.

    Written as SQL rather than sqlite-utils' `upsert`: on each new connection that one first
    probes whether SQLite supports `ON CONFLICT` by creating and dropping a table in the live
    database, and that schema change, made while other threads' connections prepare their
    statements, made one of them fail with "no such table" (seen in the concurrency test).
    After the migrations the store's schema never changes while it is in use.
    """
    if not rows:
        return
    columns = tuple(rows[0])
    conn.executemany(insert_sql(table, columns, pk), [[row[c] for c in columns] for row in rows])


class _Local(threading.local):
    db: sqlite_utils.Database | None = None
    depth: int = 0  # nesting of transaction() on this thread


class Store:
    """The bot's SQLite store. Safe to share between threads: each thread uses its own connection.

    `Store(":memory:")` is a private store in a temporary file (removed on `close()`): a true
    in-memory database cannot be shared by the connections of several threads.
    """

    def __init__(self, path: Path | str, *, create: bool = True, migrations: tuple[Migration, ...] | None = None):
        self._tmpdir: str | None = None
        if str(path) == ":memory:":
            self._tmpdir = tempfile.mkdtemp(prefix="briefbot-store-")
            weakref.finalize(self, shutil.rmtree, self._tmpdir, True)
            path = Path(self._tmpdir) / "store.db"
        self.path = Path(path)
        if not create and not self.path.exists():
            raise StoreError(f"no database at {self.path}")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.migrations = MIGRATIONS if migrations is None else migrations
        self._local = _Local()
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._readers: ThreadPoolExecutor | None = None
        self._writer: ThreadPoolExecutor | None = None
        self._closed = False
        self.migrate()

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    # ------------------------------------------------------------------ connections

    def _open(self) -> sqlite_utils.Database:
        if self._closed:
            raise StoreError("the store is closed")
        try:
            # check_same_thread=False only so that close() can close every connection at the
            # end; during the store's life a connection is reachable from its own thread only.
            conn = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
            for pragma in PRAGMAS:
                conn.execute(pragma)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path} is not a usable SQLite database: {exc}") from exc
        with self._lock:
            self._connections.append(conn)
        return sqlite_utils.Database(conn)

    @property
    def db(self) -> sqlite_utils.Database:
        """This thread's connection, as a sqlite_utils Database (opened on first use)."""
        db = self._local.db
        if db is None:
            db = self._local.db = self._open()
        return db

    @property
    def conn(self) -> sqlite3.Connection:
        return self.db.conn

    def __getitem__(self, table: str) -> sqlite_utils.db.Table:
        """A table on this thread's connection (sqlite-utils), for inspection and tests."""
        return self.db.table(table)

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        """Run one statement on this thread's connection (autocommit unless in a transaction)."""
        return self.db.conn.execute(sql, params)

    def rows(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        """The rows of a query as dicts keyed by column name."""
        cursor = self.db.conn.execute(sql, params)
        columns = [c[0] for c in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]

    def one(self, sql: str, params: Any = ()) -> tuple[Any, ...] | None:
        row = self.db.conn.execute(sql, params).fetchone()
        return tuple(row) if row is not None else None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite_utils.Database]:
        """A write transaction on this thread's connection (`BEGIN IMMEDIATE`: the write lock is
        taken at once, so two writers queue instead of failing halfway). Nested calls join the
        outer transaction."""
        db = self.db
        local = self._local
        if local.depth:
            local.depth += 1
            try:
                yield db
            finally:
                local.depth -= 1
            return
        db.conn.execute("BEGIN IMMEDIATE")
        local.depth = 1
        try:
            yield db
        except BaseException:
            local.depth = 0
            db.conn.execute("ROLLBACK")
            raise
        local.depth = 0
        db.conn.execute("COMMIT")

    def write(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`fn(db, *args)` inside one transaction on this thread's connection."""
        with self.transaction() as db:
            return fn(db, *args, **kwargs)

    @property
    def in_transaction(self) -> bool:
        return self._local.depth > 0

    # ------------------------------------------------------------------ off the event loop

    def _executor(self, writer: bool) -> ThreadPoolExecutor:
        with self._lock:
            if self._closed:
                raise StoreError("the store is closed")
            if writer:
                if self._writer is None:
                    self._writer = ThreadPoolExecutor(1, thread_name_prefix="store-writer")
                return self._writer
            if self._readers is None:
                self._readers = ThreadPoolExecutor(READER_THREADS, thread_name_prefix="store-reader")
            return self._readers

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run `fn(*args)` on a reader thread (its own connection); the event loop stays free."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor(False), functools.partial(fn, *args, **kwargs))

    async def run_write(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run `fn(*args)` on the store's one writer thread: writes from async code are
        serialised in order, and their transactions never meet another's on a connection."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor(True), functools.partial(fn, *args, **kwargs))

    # ------------------------------------------------------------------ schema

    def applied_migrations(self) -> list[str]:
        db = self.db
        if "migrations" not in db.table_names():
            return []
        return [r[0] for r in db.conn.execute("SELECT name FROM migrations ORDER BY rowid")]

    def migrate(self) -> list[str]:
        """Apply the migrations this database lacks, each in its own transaction; refuse a
        database migrated by a newer briefbot. Returns the names applied."""
        db = self.db
        known = [m.name for m in self.migrations]
        with self.transaction():
            if "migrations" not in db.table_names():
                db.conn.execute("CREATE TABLE migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
                # Stores made before migrations had names counted them in user_version.
                legacy = int(db.conn.execute("PRAGMA user_version").fetchone()[0])
                if legacy > len(known):
                    raise StoreError(self._too_new(f"schema version {legacy}"))
                for name in known[:legacy]:
                    db.conn.execute("INSERT INTO migrations VALUES (?, ?)", [name, "before names"])
        applied = self.applied_migrations()
        unknown = [name for name in applied if name not in known]
        if unknown:
            raise StoreError(self._too_new(f"migration {unknown[0]!r}"))
        done: list[str] = []
        for migration in self.migrations:
            if migration.name in applied:
                continue
            with self.transaction():
                migration.apply(db)
                db.conn.execute(
                    "INSERT INTO migrations VALUES (?, ?)", [migration.name, dt.datetime.now(dt.UTC).isoformat()]
                )
                db.conn.execute(f"PRAGMA user_version = {len(applied) + len(done) + 1}")
            done.append(migration.name)
        return done

    def _too_new(self, what: str) -> str:
        return f"{self.path} has {what}, newer than this briefbot understands; upgrade briefbot or use another --db"

    # ------------------------------------------------------------------ end

    def close(self) -> None:
        """Close every connection and the worker threads (call when no thread uses the store)."""
        with self._lock:
            self._closed = True
            executors = [e for e in (self._readers, self._writer) if e is not None]
            self._readers = self._writer = None
        for executor in executors:
            executor.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            connections, self._connections = self._connections, []
        for conn in connections:
            with contextlib.suppress(sqlite3.Error):
                conn.close()
        self._local = _Local()
        if self._tmpdir is not None:
            shutil.rmtree(self._tmpdir, ignore_errors=True)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
