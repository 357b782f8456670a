"""The Discord front end as the scheduler's deliverer: nonces, pacing, typed failures, a crash
after Discord accepted the post. Real discord.py requests to the fake Discord on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest

from bot.context import Context
from bot.core.models import Answer, Notice
from bot.core.subscriptions import Subscription
from bot.delivery import ChannelGone, Forbidden, idempotency_key
from bot.frontends.discord.client import DiscordFrontend
from bot.frontends.discord.pacing import DiscordPacer
from bot.schedule import outbox
from bot.schedule.scheduler import DigestScheduler
from bot.settings import Settings
from tests.frontends.discord.fake_discord import FakeDiscord
from tests.schedule.fakes import Crash, FixedComposer, add_sub, advance, subscription, utc

MESSAGES = "/channels/{channel_id}/messages"


class CountingLimiter:
    """Stands in for the leaky bucket (which would wait on the real clock): counts the turns."""

    def __init__(self) -> None:
        self.turns = 0

    async def acquire(self) -> None:
        self.turns += 1


@pytest.fixture
async def paced(
    fake: FakeDiscord, ctx: Context, settings: Settings
) -> AsyncIterator[tuple[DiscordFrontend, CountingLimiter]]:
    limiter = CountingLimiter()
    s = settings.with_(**{"discord_api_base": fake.base})
    bot = DiscordFrontend(ctx, s, sync_commands=False, pacer=DiscordPacer(limiter=limiter))  # type: ignore[arg-type]
    await bot.start(connect=False)
    yield bot, limiter
    await bot.close()


async def test_posts_once_per_nonce_and_every_message_create_is_paced(paced, fake: FakeDiscord) -> None:
    bot, limiter = paced
    key = idempotency_key("discord", "g1", "42", dt.date(2026, 10, 5))
    first = await bot.post_digest(subscription("42"), Notice("hello @everyone"), key)
    again = await bot.post_digest(subscription("42"), Notice("hello @everyone"), key)
    assert first == again
    assert [m["content"] for m in fake.channel_messages["42"]] == ["hello \\@everyone"]
    assert fake.channel_messages["42"][0]["nonce"] == key and len(key) <= 25
    other = await bot.post_digest(subscription("42"), Notice("next day"), key.replace(key[-1], "x"))
    assert other != first and len(fake.channel_messages["42"]) == 2
    assert limiter.turns == 3  # every message create takes a turn; the login does not


async def test_answers_are_not_paced(paced, fake: FakeDiscord) -> None:
    bot, limiter = paced
    from tests.frontends.discord import payloads as p
    from tests.frontends.discord.conftest import interact

    await interact(bot, fake, p.slash("status", {"region": "Donetsk"}))
    assert limiter.turns == 0  # interaction answers are exempt from the global limit


@pytest.mark.parametrize(("channel", "error"), [("404", ChannelGone), ("403", Forbidden), ("general", ChannelGone)])
async def test_failures_are_the_schedulers_errors(paced, fake: FakeDiscord, channel: str, error: type) -> None:
    bot, _ = paced
    fake.gone_channels.add("404")
    fake.forbidden_channels.add("403")
    with pytest.raises(error) as caught:
        await bot.post_digest(subscription(channel), Notice("x"), "k")
    assert caught.value.permanent


class CrashOnce:
    """The Discord front end, killed once right after Discord accepted the message."""

    dedupe_window = DiscordFrontend.dedupe_window

    def __init__(self, inner: DiscordFrontend) -> None:
        self.inner = inner
        self.crashed = False

    async def post_digest(self, sub: Subscription, answer: Answer, key: str, *, slot_at: object = None) -> str:
        message_id = await self.inner.post_digest(sub, answer, key)
        if not self.crashed:
            self.crashed = True
            raise Crash("killed before the message id was recorded")
        return message_id


async def test_crash_after_discord_accepted_is_absorbed_by_the_nonce(paced, fake: FakeDiscord, travel, schedulers):
    bot, _ = paced
    store = bot.ctx.store
    slot = utc(2026, 10, 5, 6)
    clock = travel(slot - dt.timedelta(minutes=1))
    sub = add_sub(store, "42", "09:00", created=slot - dt.timedelta(hours=1))
    deliverer = CrashOnce(bot)
    first = DigestScheduler(store, {"discord": deliverer}, compose=FixedComposer(), resync_seconds=None)
    schedulers.append(first)
    await first.start()
    await advance(clock, first, slot)
    assert len(fake.channel_messages["42"]) == 1 and outbox.find(store, sub, dt.date(2026, 10, 5)).message_id is None

    first.shutdown()  # the process died; a new one starts 30 s later
    clock.move_to(slot + dt.timedelta(seconds=30))
    before = len(fake.sent("POST", MESSAGES))
    second = DigestScheduler(store, {"discord": deliverer}, compose=FixedComposer(), resync_seconds=None)
    schedulers.append(second)
    await second.start()
    await advance(clock, second, slot + dt.timedelta(seconds=90))  # the dead run's lease expires at +60 s
    assert len(fake.channel_messages["42"]) == 1
    assert len(fake.sent("POST", MESSAGES)) == before + 1  # the retry, answered from the nonce
    assert outbox.find(store, sub, dt.date(2026, 10, 5)).message_id == fake.channel_messages["42"][0]["id"]
