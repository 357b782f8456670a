"""Failed posts: retried with backoff as their own jobs, then the subscription is marked failing."""

from __future__ import annotations

import datetime as dt

from bot.core.models import BriefingAnswer, Notice
from bot.core.subscriptions import get as get_sub
from bot.core.subscriptions import unsubscribe
from bot.delivery import ChannelGone, Forbidden, NetworkError, RateLimited
from bot.schedule import outbox
from bot.schedule.scheduler import QUIET_NOTICE, DigestScheduler
from tests.schedule.fakes import FakePlatform, FixedComposer, add_sub, advance, utc

SLOT = utc(2026, 10, 5, 6)  # 09:00 Europe/Kyiv
DELAYS = (30.0, 120.0, 600.0)


def make(db, platform, schedulers, **kwargs) -> DigestScheduler:
    kwargs.setdefault("compose", FixedComposer())
    sched = DigestScheduler(db, {"discord": platform}, resync_seconds=None, retry_delays=DELAYS, **kwargs)
    schedulers.append(sched)
    return sched


async def test_failing_channel_is_retried_then_marked_failing_without_delaying_others(db, travel, schedulers):
    clock = travel(SLOT - dt.timedelta(minutes=1))
    broken = add_sub(db, "broken", "09:00", created=SLOT - dt.timedelta(hours=1))
    add_sub(db, "fine", "09:00", created=SLOT - dt.timedelta(hours=1))
    platform = FakePlatform(dedupe_window=None)  # like Slack: a resend is checked against history at any delay
    platform.failures["broken"] = [NetworkError("connection reset")] * 3 + [Forbidden("50013 Missing Permissions")]
    sched = make(db, platform, schedulers)
    await sched.start()
    await advance(clock, sched, SLOT)
    assert [(m.channel, m.at) for m in platform.messages] == [("fine", SLOT)]
    row = outbox.find(db, broken, dt.date(2026, 10, 5))
    assert row.status == "claimed" and row.attempt == 1
    retry = sched.scheduler.get_job(f"digest-retry-{row.id}")
    assert retry.next_run_time == SLOT + dt.timedelta(seconds=30)
    assert get_sub(db, broken.id).last_result.startswith("retrying 2026-10-05: network error")

    await advance(clock, sched, SLOT + dt.timedelta(hours=2))
    # attempts at +0 s, +30 s, +150 s, +750 s: four failures, the last one final.
    assert platform.calls["broken"] == 4
    row = outbox.find(db, broken, dt.date(2026, 10, 5))
    assert row.status == "failed" and row.attempt == 4
    stored = get_sub(db, broken.id)
    assert stored.failing_reason == "missing permission to post in the channel: 50013 Missing Permissions"
    assert stored.active  # still scheduled: tomorrow is tried again

    await advance(clock, sched, SLOT + dt.timedelta(days=1, minutes=1))
    assert platform.per_channel() == {"fine": 2, "broken": 1}
    stored = get_sub(db, broken.id)
    assert stored.failing_reason is None and stored.last_posted_on == "2026-10-06"


async def test_retries_stay_within_the_nonce_window_then_give_up(db, travel, schedulers):
    clock = travel(SLOT - dt.timedelta(minutes=1))
    sub = add_sub(db, "c", "09:00", created=SLOT - dt.timedelta(hours=1))
    platform = FakePlatform(dedupe_window=dt.timedelta(minutes=2))  # like Discord's nonce check
    platform.failures["c"] = [NetworkError("timeout")] * 10
    sched = make(db, platform, schedulers)
    await sched.start()
    await advance(clock, sched, SLOT + dt.timedelta(hours=1))
    # +0 s, +30 s, then squeezed to +110 s (the window less a margin): never later than Discord
    # still answers a repeated nonce with the first message, so a timeout that did post is not doubled.
    assert platform.calls["c"] == 3 and platform.messages == []
    row = outbox.find(db, sub, dt.date(2026, 10, 5))
    assert row.status == "failed" and row.attempted_at == SLOT + dt.timedelta(seconds=110)
    assert get_sub(db, sub.id).failing_reason == "network error: timeout (not retried later: a resend could post twice)"


async def test_rate_limited_post_waits_retry_after_and_posts_once(db, travel, schedulers):
    clock = travel(SLOT - dt.timedelta(minutes=1))
    sub = add_sub(db, "c", "09:00", created=SLOT - dt.timedelta(hours=1))
    platform = FakePlatform()
    platform.failures["c"] = [RateLimited(4.5)]
    sched = make(db, platform, schedulers)
    await sched.start()
    await advance(clock, sched, SLOT)
    row = outbox.find(db, sub, dt.date(2026, 10, 5))
    assert sched.scheduler.get_job(f"digest-retry-{row.id}").next_run_time == SLOT + dt.timedelta(seconds=4.5)
    await advance(clock, sched, SLOT + dt.timedelta(minutes=5))
    assert [m.at for m in platform.messages] == [SLOT + dt.timedelta(seconds=4.5)]
    assert outbox.find(db, sub, dt.date(2026, 10, 5)).status == "posted"


async def test_channel_gone_marks_failing_with_its_reason(db, travel, schedulers):
    clock = travel(SLOT - dt.timedelta(minutes=1))
    sub = add_sub(db, "gone", "09:00", created=SLOT - dt.timedelta(hours=1))
    platform = FakePlatform()
    platform.failures["gone"] = [ChannelGone("10003 Unknown Channel")] * 10
    sched = make(db, platform, schedulers)
    await sched.start()
    await advance(clock, sched, SLOT + dt.timedelta(hours=1))
    assert platform.messages == []
    assert get_sub(db, sub.id).failing_reason.startswith("channel not found")


async def test_unsubscribed_while_a_retry_waits(db, travel, schedulers):
    clock = travel(SLOT - dt.timedelta(minutes=1))
    sub = add_sub(db, "c", "09:00", created=SLOT - dt.timedelta(hours=1))
    platform = FakePlatform()
    platform.failures["c"] = [NetworkError("timeout")]
    sched = make(db, platform, schedulers)
    await sched.start()
    await advance(clock, sched, SLOT)
    unsubscribe(db, platform="discord", workspace="g1", channel="c")
    await advance(clock, sched, SLOT + dt.timedelta(hours=1))
    assert platform.messages == []
    assert outbox.find(db, sub, dt.date(2026, 10, 5)).status == "missed"


async def test_a_broken_query_is_a_failure_not_a_crash(db, travel, schedulers):
    clock = travel(SLOT - dt.timedelta(minutes=1))
    sub = add_sub(db, "c", "09:00", created=SLOT - dt.timedelta(hours=1))

    def broken_compose(db, sub, since):
        raise KeyError("boom")

    platform = FakePlatform()
    sched = make(db, platform, schedulers, compose=broken_compose)
    await sched.start()
    await advance(clock, sched, SLOT + dt.timedelta(hours=1))
    assert platform.messages == []
    assert outbox.find(db, sub, dt.date(2026, 10, 5)).status == "failed"
    assert get_sub(db, sub.id).failing_reason == "delivery failed: could not compose the digest (KeyError)"


def _empty() -> BriefingAnswer:
    return BriefingAnswer(day=None, articles=(), key_points=(), regions=(), quotes=(), contradictions=())


async def test_quiet_day_notice_posts_one_line(db, travel, schedulers):
    clock = travel(SLOT - dt.timedelta(minutes=1))
    add_sub(db, "c", "09:00", created=SLOT - dt.timedelta(hours=1))
    platform = FakePlatform()
    sched = make(db, platform, schedulers, compose=FixedComposer(_empty()), quiet_day="notice")
    await sched.start()
    await advance(clock, sched, SLOT + dt.timedelta(minutes=1))
    assert [m.answer for m in platform.messages] == [Notice(QUIET_NOTICE)]


async def test_quiet_day_skip_posts_nothing_and_says_so(db, travel, schedulers):
    clock = travel(SLOT - dt.timedelta(minutes=1))
    sub = add_sub(db, "c", "09:00", created=SLOT - dt.timedelta(hours=1))
    platform = FakePlatform()
    sched = make(db, platform, schedulers, compose=FixedComposer(_empty()), quiet_day="skip")
    await sched.start()
    await advance(clock, sched, SLOT + dt.timedelta(minutes=1))
    assert platform.messages == [] and platform.calls["c"] == 0
    assert outbox.find(db, sub, dt.date(2026, 10, 5)).status == "quiet"
    assert get_sub(db, sub.id).last_result == "quiet 2026-10-05: nothing posted"


async def test_each_digest_covers_what_is_new_since_the_channels_last_one(db, travel, schedulers):
    clock = travel(SLOT - dt.timedelta(minutes=1))
    add_sub(db, "c", "09:00", created=SLOT - dt.timedelta(hours=1))
    platform = FakePlatform()
    composer = FixedComposer()
    sched = make(db, platform, schedulers, compose=composer)
    await sched.start()
    await advance(clock, sched, SLOT + dt.timedelta(days=1, minutes=1))
    # first digest: the day before its slot; then: since the previous digest was composed.
    assert composer.asked == [("c", SLOT - dt.timedelta(days=1)), ("c", SLOT)]


async def test_a_bad_row_is_reported_and_does_not_stop_the_others(db, travel, schedulers):
    clock = travel(SLOT - dt.timedelta(minutes=1))
    bad = add_sub(db, "bad", "09:00", created=SLOT - dt.timedelta(hours=1))
    db.execute("UPDATE subscriptions SET timezone='Mars/Olympus_Mons' WHERE id=?", [bad.id])
    add_sub(db, "fine", "09:00", created=SLOT - dt.timedelta(hours=1))
    platform = FakePlatform()
    sched = make(db, platform, schedulers)
    await sched.start()
    await advance(clock, sched, SLOT + dt.timedelta(minutes=1))
    assert [m.channel for m in platform.messages] == ["fine"]
    assert "cannot schedule" in get_sub(db, bad.id).failing_reason
