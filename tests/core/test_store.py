"""Schema versions and migrations of the store; settings and secrets."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.core import store
from bot.settings import Secret, load_settings


def test_new_store_has_current_version(tmp_path: Path) -> None:
    db = store.connect(tmp_path / "a.db")
    assert store.schema_version(db) == store.SCHEMA_VERSION
    assert {"articles", "quotes", "region_claims", "contradictions", "subscriptions"} <= set(db.table_names())


def test_older_store_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    sqlite3.connect(path).execute("PRAGMA user_version = 0")
    db = store.connect(path)
    assert store.schema_version(db) == store.SCHEMA_VERSION and "articles" in db.table_names()


def test_newer_store_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    sqlite3.connect(path).execute(f"PRAGMA user_version = {store.SCHEMA_VERSION + 1}")
    with pytest.raises(store.StoreError, match="newer than this briefbot understands"):
        store.connect(path)


def test_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "junk.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(store.StoreError):
        store.connect(path)


def test_settings_environment_wins_over_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text(
        "BRIEFBOT_TIMEZONE=Europe/Kyiv\nDISCORD_TOKEN=from-file\nBRIEFBOT_DIGEST_TIME=06:00\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BRIEFBOT_DIGEST_TIME", "07:00")
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    s = load_settings()
    assert s.timezone == "Europe/Kyiv" and s.digest_time == "07:00"
    assert s.discord_token.reveal() == "from-file"
    assert "from-file" not in repr(s) and "from-file" not in f"{s.discord_token}" and "from-file" not in str(s)
    assert isinstance(s.discord_token, Secret)
