"""Daily slots across DST changes in Europe/Kyiv and America/New_York (frozen clock, no sleeps)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from apscheduler.events import EVENT_JOB_EXECUTED, JobExecutionEvent

from bot.schedule import outbox
from bot.schedule.scheduler import DigestScheduler
from tests.schedule.fakes import FakePlatform, FixedComposer, add_sub, advance, utc


def _count_firings(sched: DigestScheduler) -> Counter[dt.datetime]:
    fired: Counter[dt.datetime] = Counter()

    def listener(event: JobExecutionEvent) -> None:
        if event.job_id.startswith("digest-") and not event.job_id.startswith("digest-retry"):
            fired[event.scheduled_run_time.astimezone(dt.UTC)] += 1

    sched.scheduler.add_listener(listener, EVENT_JOB_EXECUTED)
    return fired


async def _run(db, travel, schedulers, start, until, *subs):
    clock = travel(start)
    for channel, local_time, zone in subs:
        add_sub(db, channel, local_time, zone, created=start)
    platform = FakePlatform()
    sched = DigestScheduler(db, {"discord": platform}, compose=FixedComposer(), resync_seconds=None)
    schedulers.append(sched)
    fired = _count_firings(sched)
    await sched.start()
    await advance(clock, sched, until)
    return platform, fired


async def test_kyiv_fall_back_fires_twice_and_the_claim_absorbs_the_second(db, travel, schedulers):
    platform, fired = await _run(
        db, travel, schedulers, utc(2026, 10, 24, 12), utc(2026, 10, 26, 6), ("k", "03:30", "Europe/Kyiv")
    )
    # 03:30 happens twice on 2026-10-25: 00:30 UTC (EEST) and 01:30 UTC (EET); APScheduler fires both.
    assert fired[utc(2026, 10, 25, 0, 30)] == 1
    assert fired[utc(2026, 10, 25, 1, 30)] == 1
    assert [m.at for m in platform.messages] == [utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)]
    rows = outbox.rows_for_channel(db, "discord", "g1", "k")
    assert [(r.local_date, r.status) for r in rows] == [
        (dt.date(2026, 10, 25), "posted"),
        (dt.date(2026, 10, 26), "posted"),
    ]


async def test_kyiv_spring_forward_posts_once_at_0430_local(db, travel, schedulers):
    platform, fired = await _run(
        db, travel, schedulers, utc(2026, 3, 28, 12), utc(2026, 3, 30, 6), ("k", "03:30", "Europe/Kyiv")
    )
    # 03:30 does not exist on 2026-03-29: the documented behaviour is one post at 04:30 EEST = 01:30 UTC.
    assert [m.at for m in platform.messages] == [utc(2026, 3, 29, 1, 30), utc(2026, 3, 30, 0, 30)]
    local = [m.at.astimezone(dt.timezone(dt.timedelta(hours=3))).time() for m in platform.messages]
    assert local == [dt.time(4, 30), dt.time(3, 30)]
    rows = outbox.rows_for_channel(db, "discord", "g1", "k")
    assert [r.local_date for r in rows] == [dt.date(2026, 3, 29), dt.date(2026, 3, 30)]
    assert sum(fired.values()) == 2


async def test_new_york_fall_back_and_daily_time_across_the_change(db, travel, schedulers):
    platform, fired = await _run(
        db,
        travel,
        schedulers,
        utc(2026, 10, 31, 0),
        utc(2026, 11, 2, 18),
        ("ambiguous", "01:30", "America/New_York"),
        ("morning", "08:00", "America/New_York"),
    )
    by_channel = {c: [m.at for m in platform.messages if m.channel == c] for c in ("ambiguous", "morning")}
    # 01:30 happens twice on 2026-11-01 (05:30 and 06:30 UTC): one post, at the first.
    assert by_channel["ambiguous"] == [
        utc(2026, 10, 31, 5, 30),
        utc(2026, 11, 1, 5, 30),
        utc(2026, 11, 2, 6, 30),
    ]
    assert fired[utc(2026, 11, 1, 6, 30)] == 1  # the second 01:30 fired, and posted nothing
    # 08:00 local stays 08:00 local: 12:00 UTC in EDT, 13:00 UTC in EST.
    assert by_channel["morning"] == [utc(2026, 10, 31, 12), utc(2026, 11, 1, 13), utc(2026, 11, 2, 13)]


async def test_new_york_spring_forward(db, travel, schedulers):
    platform, _ = await _run(
        db,
        travel,
        schedulers,
        utc(2026, 3, 7, 12),
        utc(2026, 3, 9, 12),
        ("gap", "02:30", "America/New_York"),
        ("morning", "08:00", "America/New_York"),
    )
    by_channel = {c: [m.at for m in platform.messages if m.channel == c] for c in ("gap", "morning")}
    # 02:30 does not exist on 2026-03-08: posted once, at 03:30 EDT (07:30 UTC).
    assert by_channel["gap"] == [utc(2026, 3, 8, 7, 30), utc(2026, 3, 9, 6, 30)]
    # 08:00 local: 13:00 UTC in EST, 12:00 UTC in EDT.
    assert by_channel["morning"] == [utc(2026, 3, 7, 13), utc(2026, 3, 8, 12), utc(2026, 3, 9, 12)]
    assert [r.local_date for r in outbox.rows_for_channel(db, "discord", "g1", "gap")] == [
        dt.date(2026, 3, 8),
        dt.date(2026, 3, 9),
    ]
