"""Slot arithmetic in IANA zones, checked over many instants (DST days included) with Hypothesis."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.subscriptions import Subscription
from bot.schedule.scheduler import latest_slot, slot_instant

ZONES = ["Europe/Kyiv", "America/New_York", "Australia/Lord_Howe", "UTC"]  # Lord Howe: 30-minute DST


def _sub(local_time: str, zone: str) -> Subscription:
    return Subscription(
        id=1,
        platform="console",
        workspace="",
        channel="c",
        local_time=local_time,
        timezone=zone,
        created_by="u",
        active=True,
    )


times = st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 23), st.sampled_from([0, 1, 15, 30, 59]))
instants = st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2027, 12, 31)).map(
    lambda d: d.replace(tzinfo=dt.UTC)
)


@settings(max_examples=300, deadline=None)
@given(local_time=times, zone=st.sampled_from(ZONES), now=instants)
def test_latest_slot_is_the_last_one_at_or_before_now(local_time, zone, now):
    sub = _sub(local_time, zone)
    day, instant = latest_slot(sub, now)
    assert instant <= now
    assert slot_instant(sub, day) == instant
    assert slot_instant(sub, day + dt.timedelta(days=1)) > now  # the next one is still ahead
    assert now - instant < dt.timedelta(hours=26)


@settings(max_examples=300, deadline=None)
@given(local_time=times, zone=st.sampled_from(ZONES), day=st.dates(dt.date(2026, 1, 1), dt.date(2027, 12, 31)))
def test_a_firing_at_its_slot_or_soon_after_counts_for_that_day(local_time, zone, day):
    sub = _sub(local_time, zone)
    instant = slot_instant(sub, day)
    assert latest_slot(sub, instant) == (day, instant)
    # a firing late by up to an hour (a fall-back night's repeat, a busy machine) is still that day's
    assert latest_slot(sub, instant + dt.timedelta(minutes=59)) == (day, instant)
    assert latest_slot(sub, instant + dt.timedelta(hours=22)) == (day, instant)  # days are >= 23 h


def test_dst_days_named_in_the_issue():
    kyiv = _sub("03:30", "Europe/Kyiv")
    # clocks forward: 03:30 does not exist; the slot is the instant 04:30 EEST
    assert slot_instant(kyiv, dt.date(2026, 3, 29)) == dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.UTC)
    # clocks back: 03:30 happens at 00:30 and 01:30 UTC; both firings count for 2026-10-25
    assert slot_instant(kyiv, dt.date(2026, 10, 25)) == dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.UTC)
    assert latest_slot(kyiv, dt.datetime(2026, 10, 25, 1, 30, tzinfo=dt.UTC))[0] == dt.date(2026, 10, 25)
    # the one Hypothesis found: 03:01 on that night, fired 59 minutes late (03:00 on the second pass)
    first = dt.datetime(2026, 10, 25, 0, 1, tzinfo=dt.UTC)
    assert latest_slot(_sub("03:01", "Europe/Kyiv"), first + dt.timedelta(minutes=59)) == (dt.date(2026, 10, 25), first)
