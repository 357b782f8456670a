"""The store object: its own connection per thread, transactions, named migrations, refusals."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest
import sqlite_utils

from bot.core.db import Store, StoreError
from bot.core.schema import MIGRATIONS, Migration


def test_new_store_has_every_migration(tmp_path: Path) -> None:
    store = Store(tmp_path / "a.db")
    assert store.applied_migrations() == [m.name for m in MIGRATIONS]
    assert {"articles", "quotes", "region_claims", "contradictions", "subscriptions"} <= set(store.db.table_names())
    assert Store(tmp_path / "a.db").migrate() == []  # opening again applies nothing


def test_a_store_made_before_named_migrations_is_recognised_and_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    MIGRATIONS[0].apply(sqlite_utils.Database(conn))
    conn.execute("PRAGMA user_version = 1")
    conn.close()
    store = Store(path)
    assert store.applied_migrations() == [m.name for m in MIGRATIONS]
    assert "feeds" in store.db.table_names()  # 0002 applied on top of the old version 1


def test_newer_store_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    sqlite3.connect(path).execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    with pytest.raises(StoreError, match="newer than this briefbot understands"):
        Store(path)
    later = (*MIGRATIONS, Migration("9999_future", lambda db: None))
    Store(tmp_path / "b.db", migrations=later).close()
    with pytest.raises(StoreError, match="'9999_future'"):
        Store(tmp_path / "b.db")


def test_junk_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a usable SQLite database"):
        Store(path)


def test_each_thread_gets_its_own_connection(tmp_path: Path) -> None:
    store = Store(tmp_path / "t.db")
    seen: dict[str, sqlite3.Connection] = {}

    def grab(name: str) -> None:
        seen[name] = store.conn
        assert store.conn is seen[name]  # stable within the thread

    threads = [threading.Thread(target=grab, args=(f"t{i}",)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    grab("main")
    assert len({id(c) for c in seen.values()}) == 4


def test_a_failed_transaction_leaves_nothing_and_nested_ones_join(tmp_path: Path) -> None:
    store = Store(tmp_path / "x.db")
    with pytest.raises(RuntimeError), store.transaction() as db:
        db.conn.execute("INSERT INTO feeds (url, failures) VALUES ('https://a.example/feed', 0)")
        with store.transaction():  # joins the outer one
            db.conn.execute("INSERT INTO feeds (url, failures) VALUES ('https://b.example/feed', 0)")
        raise RuntimeError("boom")
    assert store.one("SELECT count(*) FROM feeds") == (0,)
    assert not store.in_transaction


async def test_run_and_run_write_stay_off_the_event_loop(tmp_path: Path) -> None:
    store = Store(tmp_path / "y.db")
    loop_thread = threading.get_ident()

    def where(_store: Store) -> int:
        _store.execute("SELECT 1")
        return threading.get_ident()

    reader = await store.run(where, store)
    writer = await store.run_write(where, store)
    assert loop_thread not in (reader, writer)
    writes = [
        store.run_write(
            store.write,
            lambda db, i=i: db.conn.execute(
                "INSERT INTO feeds (url, failures) VALUES (?, 0)", [f"https://x.example/{i}"]
            ),
        )
        for i in range(50)
    ]
    await asyncio.gather(*writes)
    assert store.one("SELECT count(*) FROM feeds") == (50,)
    store.close()
    with pytest.raises(StoreError, match="closed"):
        await store.run(where, store)


def test_memory_store_is_private_and_removed_on_close() -> None:
    store = Store(":memory:")
    path = store.path
    assert path.exists() and "briefbot-store-" in str(path)
    other = Store(":memory:")
    assert other.path != path
    store.close()
    other.close()
    assert not path.exists()
