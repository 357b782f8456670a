"""The outbox table: its migration, the one-claim-per-(channel, local date) rule, stale claims."""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3

import sqlite_utils

from bot.core.db import Store
from bot.core.schema import MIGRATIONS
from bot.delivery import idempotency_key
from bot.schedule import outbox
from bot.schedule.scheduler import DigestScheduler
from tests.schedule.fakes import FakePlatform, FixedComposer, add_sub, utc

DAY = dt.date(2026, 10, 5)


def test_a_version_1_store_gains_the_outbox(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    old = sqlite_utils.Database(conn)
    MIGRATIONS[0].apply(old)
    conn.execute("PRAGMA user_version = 1")  # a store made before migrations had names
    old["subscriptions"].insert(
        {
            "platform": "console",
            "workspace": "",
            "channel": "c",
            "local_time": "08:00",
            "timezone": "UTC",
            "created_by": "u",
            "created_at": "2026-01-01",
            "active": 1,
        }
    )
    conn.close()
    db = Store(path)
    assert db.applied_migrations() == [m.name for m in MIGRATIONS]
    assert "digest_posts" in db.db.table_names()
    assert db["subscriptions"].count == 1  # nothing lost on the way


def test_one_claim_per_channel_and_local_date(db):
    first = add_sub(db, "c", "09:00", created=utc(2026, 10, 1))
    second = add_sub(db, "c", "18:00", created=utc(2026, 10, 1))
    key = idempotency_key("discord", "g1", "c", DAY)
    won = outbox.claim(
        db, first, local_date=DAY, slot_at=utc(2026, 10, 5, 6), key=key, owner="run-a", now=utc(2026, 10, 5, 6)
    )
    assert won.won and not won.resumed
    same_run = outbox.claim(
        db, second, local_date=DAY, slot_at=utc(2026, 10, 5, 15), key=key, owner="run-a", now=utc(2026, 10, 5, 15)
    )
    assert not same_run.won and same_run.row.subscription_id == first.id
    next_run = outbox.claim(
        db, second, local_date=DAY, slot_at=utc(2026, 10, 5, 15), key=key, owner="run-b", now=utc(2026, 10, 5, 15)
    )
    assert next_run.won and next_run.resumed and next_run.row.id == won.row.id  # taken over, same key
    assert outbox.mark_sending(db, won.row.id, owner="run-a", since=None, now=utc(2026, 10, 5, 15)) is None  # lost
    assert outbox.mark_sending(db, won.row.id, owner="run-b", since=None, now=utc(2026, 10, 5, 15)) == 1
    outbox.mark_posted(db, won.row.id, "m1", now=utc(2026, 10, 5, 15))
    done = outbox.claim(
        db, first, local_date=DAY, slot_at=utc(2026, 10, 5, 6), key=key, owner="run-c", now=utc(2026, 10, 5, 16)
    )
    assert not done.won and done.row.status == "posted" and done.row.message_id == "m1"
    assert db.execute("SELECT COUNT(*) FROM digest_posts").fetchone()[0] == 1
    other_day = outbox.claim(
        db,
        first,
        local_date=DAY + dt.timedelta(days=1),
        slot_at=utc(2026, 10, 6, 6),
        key=key,
        owner="run-c",
        now=utc(2026, 10, 6, 6),
    )
    assert other_day.won


async def test_open_claims_of_old_days_are_closed_at_start(db, travel, schedulers, caplog):
    travel(utc(2026, 10, 8, 13))  # 7 h after that day's slot: beyond the grace window too
    sub = add_sub(db, "c", "09:00", created=utc(2026, 10, 1))
    for day, status in ((dt.date(2026, 10, 5), "claimed"), (dt.date(2026, 10, 6), "sending")):
        row = outbox.claim(
            db,
            sub,
            local_date=day,
            slot_at=utc(day.year, day.month, day.day, 6),
            key=idempotency_key("discord", "g1", "c", day),
            owner="crashed-run",
            now=utc(day.year, day.month, day.day, 6),
        ).row
        if status == "sending":
            outbox.mark_sending(db, row.id, owner="crashed-run", since=None, now=utc(day.year, day.month, day.day, 6))
    platform = FakePlatform()
    sched = DigestScheduler(db, {"discord": platform}, compose=FixedComposer(), resync_seconds=None)
    schedulers.append(sched)
    with caplog.at_level(logging.WARNING, logger="bot.schedule"):
        await sched.start()
        await sched.settle()
    rows = {r.local_date: r.status for r in outbox.rows_for_channel(db, "discord", "g1", "c")}
    assert rows == {dt.date(2026, 10, 5): "missed", dt.date(2026, 10, 6): "uncertain", dt.date(2026, 10, 8): "missed"}
    assert platform.messages == []
    assert sum("left claimed by an earlier run" in r.getMessage() for r in caplog.records) == 1
    assert sum("left sending by an earlier run" in r.getMessage() for r in caplog.records) == 1


def test_a_live_lease_is_never_taken_over_and_an_expired_one_is(db):
    sub = add_sub(db, "c", "09:00", created=utc(2026, 10, 1))
    key = idempotency_key("discord", "g1", "c", DAY)
    at = utc(2026, 10, 5, 6)
    held = outbox.claim(db, sub, local_date=DAY, slot_at=at, key=key, owner="run-a", now=at)
    assert held.won and held.row.lease_until == at + outbox.LEASE
    early = outbox.claim(db, sub, local_date=DAY, slot_at=at, key=key, owner="run-b", now=at + dt.timedelta(seconds=59))
    assert not early.won and early.held_elsewhere and early.row.owner == "run-a"
    assert outbox.mark_sending(db, held.row.id, owner="run-a", since=None, now=at + dt.timedelta(seconds=50)) == 1
    # sending renewed the lease: still live past the first expiry
    renewed = outbox.claim(
        db, sub, local_date=DAY, slot_at=at, key=key, owner="run-b", now=at + dt.timedelta(seconds=70)
    )
    assert not renewed.won and renewed.held_elsewhere
    late = outbox.claim(db, sub, local_date=DAY, slot_at=at, key=key, owner="run-b", now=at + dt.timedelta(seconds=111))
    assert late.won and late.resumed and late.row.owner == "run-b"
    # the run that lost the slot can no longer act on it
    assert outbox.mark_sending(db, held.row.id, owner="run-a", since=None, now=at + dt.timedelta(seconds=112)) is None
    assert (
        outbox.close_stale(db, slot_before=at + dt.timedelta(days=1), owner="run-c", now=at + dt.timedelta(seconds=113))
        == []
    )


def test_two_processes_claiming_at_once_one_wins(db_path):
    """The compare-and-swap under real concurrency: threads with their own connections race for
    the same expired slots; every slot has exactly one winner."""
    import threading

    store = Store(db_path)
    subs = [add_sub(store, f"c{i}", "09:00", created=utc(2026, 10, 1)) for i in range(50)]
    at = utc(2026, 10, 5, 6)
    for sub in subs:  # claimed by a run that died: every lease expired
        outbox.claim(store, sub, local_date=DAY, slot_at=at, key=sub.channel, owner="dead", now=at)
    later = at + dt.timedelta(minutes=5)
    wins: dict[str, list[int]] = {"a": [], "b": [], "c": []}
    barrier = threading.Barrier(3)

    def race(owner: str) -> None:
        barrier.wait()
        for sub in subs:
            if outbox.claim(store, sub, local_date=DAY, slot_at=at, key=sub.channel, owner=owner, now=later).won:
                wins[owner].append(sub.id)

    threads = [threading.Thread(target=race, args=(o,)) for o in wins]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    won = sorted(i for ids in wins.values() for i in ids)
    assert won == sorted(s.id for s in subs)  # each slot won once, by one of them
