"""Fixtures of the schedule tests: a real SQLite store, a frozen clock, schedulers shut down after."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest
import time_machine

from bot.core.db import Store
from bot.schedule.scheduler import DigestScheduler


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "briefbot.db"


@pytest.fixture
def db(db_path: Path) -> Store:
    return Store(db_path)


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
