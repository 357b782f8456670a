"""Exactly one digest per channel per local day through restarts, crashes, downtime and load."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

import pytest

from bot.core.db import Store
from bot.core.subscriptions import get as get_sub
from bot.core.subscriptions import subscribe, unsubscribe
from bot.schedule import outbox
from bot.schedule.scheduler import DigestScheduler
from tests.schedule.fakes import Crash, FakePlatform, FixedComposer, add_sub, advance, utc

# Europe/Kyiv is UTC+3 in October (EEST): 09:00 local = 06:00 UTC.
SLOT = utc(2026, 10, 5, 6)


def make(db, platform, schedulers, **kwargs) -> DigestScheduler:
    kwargs.setdefault("compose", FixedComposer())
    sched = DigestScheduler(db, {"discord": platform}, resync_seconds=None, **kwargs)
    schedulers.append(sched)
    return sched


async def restart(old: DigestScheduler, db_path, platform, schedulers, **kwargs) -> DigestScheduler:
    """Stop one run and start a new one on its own connection, as a restarted process would."""
    old.shutdown()
    sched = make(Store(db_path), platform, schedulers, **kwargs)
    await sched.start()
    await sched.settle()
    return sched


async def test_subscribed_a_few_minutes_ahead_gets_one_digest_at_that_time(db, travel, schedulers):
    clock = travel(SLOT - dt.timedelta(minutes=5))
    platform = FakePlatform()
    sched = make(db, platform, schedulers)
    await sched.start()
    sub = subscribe(  # as /subscribe does: the core tells the scheduler
        db,
        platform="discord",
        workspace="g1",
        channel="c",
        local_time="09:00",
        timezone="Europe/Kyiv",
        created_by="u1",
        now=SLOT - dt.timedelta(minutes=5),
    )
    assert sched.next_run(sub.id) == SLOT
    await advance(clock, sched, SLOT + dt.timedelta(hours=1))
    assert [(m.channel, m.at) for m in platform.messages] == [("c", SLOT)]
    row = outbox.find(db, sub, dt.date(2026, 10, 5))
    assert row is not None and row.status == "posted" and row.message_id == platform.messages[0].message_id
    stored = get_sub(db, sub.id)
    assert stored.last_posted_on == "2026-10-05" and stored.failing_reason is None
    assert stored.last_result and stored.last_result.startswith("posted 2026-10-05")


async def test_unsubscribe_takes_effect_at_once(db, travel, schedulers):
    clock = travel(SLOT - dt.timedelta(hours=1))
    add_sub(db, "c", "09:00", created=SLOT - dt.timedelta(hours=1))
    platform = FakePlatform()
    sched = make(db, platform, schedulers)
    await sched.start()
    assert unsubscribe(db, platform="discord", workspace="g1", channel="c") == 1  # as /unsubscribe does
    await advance(clock, sched, SLOT + dt.timedelta(days=2))
    assert platform.messages == []


async def test_changes_made_elsewhere_are_picked_up_by_the_resync(db, travel, schedulers):
    clock = travel(SLOT - dt.timedelta(hours=1))
    platform = FakePlatform()
    sched = DigestScheduler(db, {"discord": platform}, compose=FixedComposer(), resync_seconds=60)
    schedulers.append(sched)
    await sched.start()
    add_sub(db, "c", "09:00", created=SLOT - dt.timedelta(hours=1))  # e.g. the CLI, another process
    await advance(clock, sched, SLOT + dt.timedelta(minutes=2))
    assert [(m.channel, m.at) for m in platform.messages] == [("c", SLOT)]


async def test_restart_before_the_slot(db, db_path, travel, schedulers):
    clock = travel(SLOT - dt.timedelta(hours=2))
    add_sub(db, "c", "09:00", created=SLOT - dt.timedelta(days=3))
    platform = FakePlatform()
    sched = make(db, platform, schedulers)
    await sched.start()
    await advance(clock, sched, SLOT - dt.timedelta(minutes=10))
    sched = await restart(sched, db_path, platform, schedulers)
    await advance(clock, sched, SLOT + dt.timedelta(hours=3))
    assert [m.at for m in platform.messages] == [SLOT]


async def test_restart_after_the_slot_posts_nothing_more(db, db_path, travel, schedulers):
    clock = travel(SLOT - dt.timedelta(minutes=1))
    add_sub(db, "c", "09:00", created=SLOT - dt.timedelta(days=3))
    platform = FakePlatform()
    sched = make(db, platform, schedulers)
    await sched.start()
    await advance(clock, sched, SLOT + dt.timedelta(minutes=1))
    assert len(platform.messages) == 1
    sched = await restart(sched, db_path, platform, schedulers)
    await advance(clock, sched, SLOT + dt.timedelta(hours=5))
    sched = await restart(sched, db_path, platform, schedulers)
    assert [m.at for m in platform.messages] == [SLOT]


async def test_downtime_within_the_grace_window_posts_on_start(db, db_path, travel, schedulers):
    clock = travel(SLOT - dt.timedelta(hours=1))
    add_sub(db, "c", "09:00", created=SLOT - dt.timedelta(days=3))
    platform = FakePlatform()
    sched = make(db, platform, schedulers)
    await sched.start()
    sched.shutdown()  # the bot is down over the slot...
    clock.move_to(SLOT + dt.timedelta(hours=5, minutes=59))  # ...and back within 6 h
    sched = await restart(sched, db_path, platform, schedulers)
    assert [m.at for m in platform.messages] == [SLOT + dt.timedelta(hours=5, minutes=59)]
    await advance(clock, sched, SLOT + dt.timedelta(days=1, minutes=1))
    assert [m.at for m in platform.messages][1:] == [SLOT + dt.timedelta(days=1)]


async def test_downtime_beyond_the_grace_window_skips_with_a_log_line(db, db_path, travel, schedulers, caplog):
    clock = travel(SLOT - dt.timedelta(hours=1))
    sub = add_sub(db, "c", "09:00", created=SLOT - dt.timedelta(days=3))
    platform = FakePlatform()
    sched = make(db, platform, schedulers)
    await sched.start()
    sched.shutdown()
    clock.move_to(SLOT + dt.timedelta(hours=6, minutes=1))
    with caplog.at_level(logging.WARNING, logger="bot.schedule"):
        sched = await restart(sched, db_path, platform, schedulers)
    assert platform.messages == []
    assert any("skipped the 2026-10-05 digest for discord:c" in r.getMessage() for r in caplog.records)
    assert outbox.find(db, sub, dt.date(2026, 10, 5)).status == "missed"
    assert get_sub(db, sub.id).last_result.startswith("skipped 2026-10-05")
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="bot.schedule"):
        sched = await restart(sched, db_path, platform, schedulers)  # logged once, not on every start
    assert not [r for r in caplog.records if "skipped" in r.getMessage()]
    await advance(clock, sched, SLOT + dt.timedelta(days=1, minutes=1))
    assert [m.at for m in platform.messages] == [SLOT + dt.timedelta(days=1)]


async def test_grace_window_comes_from_the_settings(db, travel, schedulers, caplog):
    from bot.settings import Settings

    travel(SLOT + dt.timedelta(hours=1, minutes=1))
    sub = add_sub(db, "c", "09:00", created=SLOT - dt.timedelta(days=3))
    platform = FakePlatform()
    settings = Settings(digest_grace_hours=1.0)
    sched = DigestScheduler.from_settings(
        settings, db, {"discord": platform}, compose=FixedComposer(), resync_seconds=None
    )
    schedulers.append(sched)
    with caplog.at_level(logging.WARNING, logger="bot.schedule"):
        await sched.start()
        await sched.settle()
    assert platform.messages == []
    assert outbox.find(db, sub, dt.date(2026, 10, 5)).status == "missed"
    assert any("1.0 h ago (grace window 1:00:00)" in r.getMessage() for r in caplog.records)


async def test_subscribed_after_todays_slot_waits_for_tomorrow(db, db_path, travel, schedulers):
    clock = travel(SLOT + dt.timedelta(hours=1))
    add_sub(db, "c", "09:00", created=SLOT + dt.timedelta(minutes=30))
    platform = FakePlatform()
    sched = make(db, platform, schedulers)
    await sched.start()
    await advance(clock, sched, SLOT + dt.timedelta(days=1, minutes=1))
    assert [m.at for m in platform.messages] == [SLOT + dt.timedelta(days=1)]


async def test_two_subscriptions_in_one_channel_post_once_a_day(db, travel, schedulers, caplog):
    clock = travel(SLOT - dt.timedelta(hours=1))
    early = add_sub(db, "c", "09:00", created=SLOT - dt.timedelta(days=3))
    late = add_sub(db, "c", "18:30", created=SLOT - dt.timedelta(days=3))
    add_sub(db, "other", "18:30", created=SLOT - dt.timedelta(days=3))
    platform = FakePlatform()
    sched = make(db, platform, schedulers)
    await sched.start()
    with caplog.at_level(logging.INFO, logger="bot.schedule"):
        await advance(clock, sched, SLOT + dt.timedelta(days=1, hours=23))
    assert platform.per_channel() == {"c": 2, "other": 2}
    assert [m.at for m in platform.messages if m.channel == "c"] == [SLOT, SLOT + dt.timedelta(days=1)]
    rows = outbox.rows_for_channel(db, "discord", "g1", "c")
    assert {r.subscription_id for r in rows} == {early.id}
    assert any(f"subscription {late.id} posts nothing" in r.getMessage() for r in caplog.records)


async def test_crash_between_claim_and_send_is_retried_once(db, db_path, travel, schedulers):
    clock = travel(SLOT - dt.timedelta(minutes=1))
    sub = add_sub(db, "c", "09:00", created=SLOT - dt.timedelta(days=3))

    def crashing_compose(db, sub, since):
        raise Crash("killed after the claim, before anything was sent")

    platform = FakePlatform()
    sched = make(db, platform, schedulers, compose=crashing_compose)
    await sched.start()
    await advance(clock, sched, SLOT)
    assert outbox.find(db, sub, dt.date(2026, 10, 5)).status == "claimed"
    clock.move_to(SLOT + dt.timedelta(minutes=20))
    sched = await restart(sched, db_path, platform, schedulers)
    await restart(sched, db_path, platform, schedulers)
    assert [m.at for m in platform.messages] == [SLOT + dt.timedelta(minutes=20)]
    assert outbox.find(db, sub, dt.date(2026, 10, 5)).status == "posted"


@pytest.mark.parametrize("accepted", [False, True], ids=["before-accept", "after-accept"])
async def test_crash_during_send_never_posts_twice(db, db_path, travel, schedulers, accepted):
    clock = travel(SLOT - dt.timedelta(minutes=1))
    sub = add_sub(db, "c", "09:00", created=SLOT - dt.timedelta(days=3))
    platform = FakePlatform(dedupe_window=dt.timedelta(minutes=2))  # Discord's nonce check
    (platform.crash_after_accept if accepted else platform.crash_before_accept).add("c")
    sched = make(db, platform, schedulers)
    await sched.start()
    await advance(clock, sched, SLOT)
    row = outbox.find(db, sub, dt.date(2026, 10, 5))
    assert row.status == "sending" and row.message_id is None
    assert len(platform.messages) == (1 if accepted else 0)
    clock.move_to(SLOT + dt.timedelta(seconds=40))  # restarted within the nonce window
    again = await restart(sched, db_path, platform, schedulers)
    assert platform.calls["c"] == 1  # the dead run's lease is still live: not taken over yet
    await advance(clock, again, SLOT + dt.timedelta(seconds=90))  # it expires at +60 s: taken over
    assert len(platform.messages) == 1
    row = outbox.find(db, sub, dt.date(2026, 10, 5))
    assert row.status == "posted" and row.message_id == platform.messages[0].message_id
    assert platform.calls["c"] == 2  # the retry reached the platform, which answered with the first post


async def test_crash_after_accept_with_a_history_check_retries_safely_any_time(db, db_path, travel, schedulers):
    clock = travel(SLOT - dt.timedelta(minutes=1))
    sub = add_sub(db, "c", "09:00", created=SLOT - dt.timedelta(days=3), platform="slack")
    platform = FakePlatform(dedupe_window=None)  # Slack: the marker is found in the channel's history
    platform.crash_after_accept.add("c")
    sched = DigestScheduler(db, {"slack": platform}, compose=FixedComposer(), resync_seconds=None)
    schedulers.append(sched)
    await sched.start()
    await advance(clock, sched, SLOT)
    clock.move_to(SLOT + dt.timedelta(hours=3))
    sched.shutdown()
    again = DigestScheduler(Store(db_path), {"slack": platform}, compose=FixedComposer(), resync_seconds=None)
    schedulers.append(again)
    await again.start()
    await again.settle()
    assert len(platform.messages) == 1
    assert outbox.find(db, sub, dt.date(2026, 10, 5)).message_id == platform.messages[0].message_id


async def test_crash_after_accept_beyond_the_nonce_window_is_not_resent(db, db_path, travel, schedulers, caplog):
    clock = travel(SLOT - dt.timedelta(minutes=1))
    sub = add_sub(db, "c", "09:00", created=SLOT - dt.timedelta(days=3))
    platform = FakePlatform(dedupe_window=dt.timedelta(minutes=2))
    platform.crash_after_accept.add("c")
    sched = make(db, platform, schedulers)
    await sched.start()
    await advance(clock, sched, SLOT)
    clock.move_to(SLOT + dt.timedelta(minutes=30))  # too late for Discord to deduplicate the nonce
    with caplog.at_level(logging.WARNING, logger="bot.schedule"):
        await restart(sched, db_path, platform, schedulers)
    assert len(platform.messages) == 1 and platform.calls["c"] == 1
    assert outbox.find(db, sub, dt.date(2026, 10, 5)).status == "uncertain"
    assert any("not resending the 2026-10-05 digest" in r.getMessage() for r in caplog.records)


async def test_thousand_subscriptions_due_at_one_minute_all_post_once(db, db_path, travel, schedulers):
    clock = travel(SLOT - dt.timedelta(minutes=2))
    for i in range(1000):
        add_sub(db, f"ch{i:04d}", "09:00", created=SLOT - dt.timedelta(days=1))
    platform = FakePlatform()
    composer = FixedComposer()
    sched = make(db, platform, schedulers, compose=composer)
    await sched.start()
    await advance(clock, sched, SLOT + dt.timedelta(minutes=1))
    counts = platform.per_channel()
    assert len(counts) == 1000 and set(counts.values()) == {1}
    assert {m.at for m in platform.messages} == {SLOT}
    assert len(composer.asked) == 1  # one question for the minute, shared by every channel
    await restart(sched, db_path, platform, schedulers)
    assert len(platform.messages) == 1000
    assert db.execute("SELECT COUNT(*) FROM digest_posts WHERE status='posted'").fetchone()[0] == 1000


async def test_a_subscription_made_in_a_worker_thread_is_scheduled_at_once(db_path, db, travel, schedulers):
    clock = travel(SLOT - dt.timedelta(minutes=5))
    platform = FakePlatform()
    sched = make(db, platform, schedulers)
    await sched.start()

    def subscribe_elsewhere() -> int:  # as a front end's query thread does, on its own connection
        other = Store(db_path)
        return subscribe(
            other,
            platform="discord",
            workspace="g1",
            channel="c",
            local_time="09:00",
            timezone="Europe/Kyiv",
            created_by="u1",
            now=SLOT - dt.timedelta(minutes=5),
        ).id

    sub_id = await asyncio.get_running_loop().run_in_executor(None, subscribe_elsewhere)
    await sched.settle()  # the change is applied in the scheduler's loop, on its next turn
    assert sched.next_run(sub_id) == SLOT
    await advance(clock, sched, SLOT + dt.timedelta(minutes=1))
    assert [(m.channel, m.at) for m in platform.messages] == [("c", SLOT)]


@pytest.mark.parametrize(
    "window", [None, dt.timedelta(minutes=2)], ids=["history-check (Slack)", "nonce window (Discord)"]
)
async def test_a_thousand_slots_under_random_crash_points_post_once_each(db, db_path, travel, schedulers, window):
    """Each run of the bot dies at a random point of a random slot (composing, before the platform
    accepted, after it accepted but before the id was recorded); the next run starts a lease later.
    Every slot ends posted, and no channel gets two posts."""
    import random

    rng = random.Random(7)
    clock = travel(SLOT - dt.timedelta(minutes=1))
    channels = [f"ch{i:04d}" for i in range(1000)]
    for channel in channels:
        add_sub(db, channel, "09:00", created=SLOT - dt.timedelta(days=1))
    platform = FakePlatform(dedupe_window=window)
    doomed: set[str] = set()

    def compose(store, sub, since):  # a crash while composing, for some channels
        if sub.channel in doomed:
            doomed.discard(sub.channel)
            raise Crash("killed while composing")
        return FixedComposer()(store, sub, since)

    for channel in channels:
        point = rng.choice(["none", "none", "compose", "before-accept", "after-accept"])
        if point == "compose":
            doomed.add(channel)
        elif point == "before-accept":
            platform.crash_before_accept.add(channel)
        elif point == "after-accept":
            platform.crash_after_accept.add(channel)
    sched = make(db, platform, schedulers, compose=compose)
    await sched.start()
    await advance(clock, sched, SLOT)
    now = SLOT
    assert len(platform.messages) < 1000  # the first run died on some slots
    for _restart in range(5):
        open_slots = db.execute("SELECT COUNT(*) FROM digest_posts WHERE status IN ('claimed','sending')").fetchone()[0]
        if not open_slots:
            break
        sched.shutdown()  # the process died; the next one starts when the leases have expired
        now += outbox.LEASE + dt.timedelta(seconds=1)
        clock.move_to(now)
        sched = make(Store(db_path), platform, schedulers, compose=compose)
        await sched.start()
        await advance(clock, sched, now + dt.timedelta(seconds=5))
    counts = platform.per_channel()
    assert set(counts.values()) == {1} and len(counts) == 1000  # one post per channel, none twice
    statuses = dict(
        db.execute(
            "SELECT status, COUNT(*) FROM digest_posts WHERE local_date = '2026-10-05' GROUP BY status"
        ).fetchall()
    )
    assert statuses == {"posted": 1000}
