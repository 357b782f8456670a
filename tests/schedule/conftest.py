"""Fixtures of the schedule tests: a real SQLite store, a frozen clock, schedulers shut down after."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.db import Store


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "briefbot.db"


@pytest.fixture
def db(db_path: Path) -> Store:
    return Store(db_path)
