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
    outbox.mark_sending(db, won.row.id, since=None, now=utc(2026, 10, 5, 15))
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
            outbox.mark_sending(db, row.id, since=None, now=utc(day.year, day.month, day.day, 6))
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
