"""Fakes for the schedule tests: platforms that model idempotent retries, a fixed composer.

`FakePlatform` stands for a chat platform's message store: with `dedupe_window` set like
Discord's nonce check it returns the earlier message for a repeated key within the window, with
`None` it models Slack's history check (the marker is found whatever the delay). It can fail
with typed delivery errors and crash (a BaseException, as a killed process would stop) before
or after accepting a message.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

import time_machine

from bot.core.db import Store
from bot.core.models import Answer, ArticleItem, BriefingAnswer, Review, SourceRef
from bot.core.subscriptions import Subscription, subscribe
from bot.schedule.scheduler import DigestScheduler

UTC = dt.UTC


class Crash(BaseException):
    """The bot process dies here (the scheduler catches Exception, never this)."""


@dataclass
class Message:
    channel: str
    key: str
    answer: Answer
    at: dt.datetime
    message_id: str


@dataclass
class FakePlatform:
    dedupe_window: dt.timedelta | None = dt.timedelta(minutes=2)
    messages: list[Message] = field(default_factory=list)
    failures: dict[str, list[Exception]] = field(default_factory=lambda: defaultdict(list))
    crash_before_accept: set[str] = field(default_factory=set)
    crash_after_accept: set[str] = field(default_factory=set)
    calls: Counter[str] = field(default_factory=Counter)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1000))

    async def post_digest(
        self, sub: Subscription, answer: Answer, idempotency_key: str, *, slot_at: dt.datetime | None = None
    ) -> str:
        now = dt.datetime.now(UTC)
        self.calls[sub.channel] += 1
        if sub.channel in self.crash_before_accept:
            self.crash_before_accept.discard(sub.channel)
            raise Crash("killed before the platform got the message")
        if self.failures[sub.channel]:
            raise self.failures[sub.channel].pop(0)
        for earlier in self.messages:
            same_slot = earlier.channel == sub.channel and earlier.key == idempotency_key
            in_window = self.dedupe_window is None or now - earlier.at <= self.dedupe_window
            if same_slot and in_window:
                return earlier.message_id  # nonce / marker: the platform answers with the first post
        message = Message(sub.channel, idempotency_key, answer, now, str(next(self._ids)))
        self.messages.append(message)
        if sub.channel in self.crash_after_accept:
            self.crash_after_accept.discard(sub.channel)
            raise Crash("killed after the platform accepted, before the id was recorded")
        return message.message_id

    def per_channel(self) -> Counter[str]:
        return Counter(m.channel for m in self.messages)


def article_answer(day: dt.date = dt.date(2026, 10, 1)) -> BriefingAnswer:
    source = SourceRef("a1", "Reuters", "A headline", day, "https://example.org/a1", Review.REVIEWED)
    return BriefingAnswer(
        day=day,
        articles=(ArticleItem(source=source),),
        key_points=(),
        regions=(),
        quotes=(),
        contradictions=(),
    )


@dataclass
class FixedComposer:
    """Answers every digest with one article and remembers the `since` it was asked for."""

    answer: Answer = field(default_factory=article_answer)
    asked: list[tuple[str, dt.datetime | None]] = field(default_factory=list)

    def __call__(self, db: Store, sub: Subscription, since: dt.datetime | None) -> Answer:
        self.asked.append((sub.channel, since))
        return self.answer


def add_sub(
    db: Store,
    channel: str,
    local_time: str,
    timezone: str = "Europe/Kyiv",
    *,
    created: dt.datetime,
    platform: str = "discord",
) -> Subscription:
    return subscribe(
        db,
        platform=platform,
        workspace="g1",
        channel=channel,
        local_time=local_time,
        timezone=timezone,
        created_by="u1",
        now=created,
    )


async def advance(clock: time_machine.Traveller, sched: DigestScheduler, until: dt.datetime) -> None:
    """Move the frozen clock to each due job in turn, up to `until`, letting each run to its end."""
    while True:
        due = [j.next_run_time for j in sched.scheduler.get_jobs() if j.next_run_time is not None]
        nxt = min(due, default=None)
        if nxt is None or nxt > until:
            break
        clock.move_to(nxt)
        sched.wakeup()
        await sched.settle()
    clock.move_to(until)
    sched.wakeup()
    await sched.settle()


def subscription(channel: str, platform: str = "discord", timezone: str = "Europe/Kyiv") -> Subscription:
    """An active 09:00 subscription as the core returns it, not stored (for the deliverers)."""
    return Subscription(
        id=1,
        platform=platform,
        workspace="g1",
        channel=channel,
        local_time="09:00",
        timezone=timezone,
        created_by="u1",
        active=True,
    )


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)
