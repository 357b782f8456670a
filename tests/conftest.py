"""Shared fixtures: a copy of summaries/ and a real SQLite store loaded from it."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
import time_machine

from bot.context import Context, open_context
from bot.schedule.scheduler import DigestScheduler
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


@pytest.fixture
def travel() -> Iterator[Callable[[dt.datetime], time_machine.Traveller]]:
    """time_machine.travel with the clock frozen (tick=False): time moves only when a test moves it."""
    started: list[time_machine.travel] = []

    def begin(at: dt.datetime) -> time_machine.Traveller:
        travel = time_machine.travel(at, tick=False)
        started.append(travel)
        return travel.start()

    yield begin
    for travel_ in reversed(started):
        travel_.stop()


@pytest.fixture
async def schedulers() -> AsyncIterator[list[DigestScheduler]]:
    """Schedulers a test starts; all shut down at the end (a 'restart' shuts one down early)."""
    made: list[DigestScheduler] = []
    yield made
    for sched in made:
        sched.shutdown()
