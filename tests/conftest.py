"""Shared fixtures: a copy of summaries/ and a real SQLite store loaded from it."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from bot.context import Context, open_context
from bot.settings import load_settings

REPO = Path(__file__).resolve().parent.parent
SUMMARIES = REPO / "summaries"
SEED_ID = "2022-12-08-newsweek-kremlin-territory"
# the team's read-only material: beside the lead's checkout (/work/main), also from a worktree
SHARED = next((p for p in (REPO.parent / "shared", Path("/work/shared")) if p.is_dir()), REPO.parent / "shared")


@pytest.fixture
def summaries_dir(tmp_path: Path) -> Path:
    target = tmp_path / "summaries"
    shutil.copytree(SUMMARIES, target)
    return target


@pytest.fixture
def ctx(tmp_path: Path, summaries_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Context:
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    settings = load_settings(db_path=tmp_path / "briefbot.db", summaries_dir=summaries_dir)
    context = open_context(settings, clock=lambda: dt.datetime(2022, 12, 10, 9, 0, tzinfo=dt.UTC))
    assert context.store["articles"].count == 1
    return context
