"""REST failures from the fake Discord: rate limits, server errors, gone and forbidden channels.

discord.py's own retry paths run for real; only its back-off sleep is replaced by a recording
clock (`backoff`), so the tests assert how long it would have waited without waiting.
"""

from __future__ import annotations

import dataclasses

import pytest

from bot.core.models import Notice
from bot.delivery import ChannelGone, Forbidden, NetworkError, RateLimited, Rejected
from bot.frontends.discord.client import DiscordFrontend, page_nonce
from bot.render.discord_embeds import render
from tests.frontends.discord import factories as f
from tests.frontends.discord import payloads as p
from tests.frontends.discord.conftest import BackoffClock, interact
from tests.frontends.discord.fake_discord import FakeDiscord
from tests.frontends.discord.limits import CALLBACK

MESSAGES = "/channels/{channel_id}/messages"
CHANNEL = "1200000000000000555"


async def test_callback_rate_limited_is_retried_after_retry_after(
    frontend: DiscordFrontend, fake: FakeDiscord, backoff: BackoffClock
) -> None:
    fake.rate_limit_next("POST", CALLBACK, retry_after=0.75)
    body = await interact(frontend, fake, p.slash("status", {"region": "Donetsk"}), expect=2)
    statuses = [r.status for r in fake.sent("POST", CALLBACK)]
    assert statuses == [429, 200]
    assert 0.75 in backoff.sleeps
    assert body["data"]["embeds"][0]["title"].startswith("Donetsk")


async def test_callback_server_error_is_retried(
    frontend: DiscordFrontend, fake: FakeDiscord, backoff: BackoffClock
) -> None:
    fake.fail_next("POST", CALLBACK, 500)
    body = await interact(frontend, fake, p.slash("quote", {"speaker": "Peskov"}), expect=2)
    assert [r.status for r in fake.sent("POST", CALLBACK)] == [500, 200]
    assert [s for s in backoff.sleeps if s] == [1]  # discord.py's first back-off step
    assert body["data"]["embeds"][0]["title"].startswith("Dmitry Peskov")


async def test_post_digest_sends_nonce_and_enforce_nonce(frontend: DiscordFrontend, fake: FakeDiscord) -> None:
    answer = f.digest_answer(3)
    first = await frontend.post_to_channel(CHANNEL, answer, nonce="d-2022-09-30-7")
    again = await frontend.post_to_channel(CHANNEL, answer, nonce="d-2022-09-30-7")
    assert first == again  # Discord returned the earlier message: posted once
    (sent, _) = fake.sent("POST", MESSAGES)
    assert sent.body["nonce"] == "d-2022-09-30-7" and sent.body["enforce_nonce"] is True
    assert sent.body["allowed_mentions"] == {"parse": []}
    assert sent.body["embeds"][0]["title"] == "Digest for 30 Sep 2022"
    assert sent.path == f"/channels/{CHANNEL}/messages"


async def test_post_long_digest_has_page_buttons(frontend: DiscordFrontend, fake: FakeDiscord) -> None:
    answer = f.digest_answer(40)
    assert render(answer).page_count > 1
    await frontend.post_to_channel(CHANNEL, answer, nonce="long")
    (sent,) = fake.sent("POST", MESSAGES)
    (button,) = sent.body["components"][0]["components"]
    assert button["custom_id"] == "bb:pg:1:digest:date=2022-09-30"


async def test_post_quiet_day_notice(frontend: DiscordFrontend, fake: FakeDiscord) -> None:
    await frontend.post_to_channel(CHANNEL, Notice("Nothing new today."), nonce="quiet")
    (sent,) = fake.sent("POST", MESSAGES)
    assert sent.body["content"] == "Nothing new today." and sent.body["embeds"] == []


async def test_post_digest_gone_and_forbidden_channels(frontend: DiscordFrontend, fake: FakeDiscord) -> None:
    fake.gone_channels.add("1")
    fake.forbidden_channels.add("2")
    with pytest.raises(ChannelGone) as gone:
        await frontend.post_to_channel("1", f.digest_answer(1), nonce="a")
    assert "channel 1" in gone.value.detail and gone.value.code == "10003" and gone.value.permanent
    with pytest.raises(Forbidden):
        await frontend.post_to_channel("2", f.digest_answer(1), nonce="b")


async def test_post_digest_long_rate_limit_raises_with_retry_after(
    frontend: DiscordFrontend, fake: FakeDiscord, backoff: BackoffClock
) -> None:
    fake.rate_limit_next("POST", MESSAGES, retry_after=120.0)
    with pytest.raises(RateLimited) as limited:
        await frontend.post_to_channel(CHANNEL, f.digest_answer(1), nonce="c")
    assert limited.value.retry_after == 120.0
    assert max(backoff.sleeps, default=0) == 0  # too long to wait inline: the scheduler decides


async def test_post_digest_short_rate_limit_is_waited_out(
    frontend: DiscordFrontend, fake: FakeDiscord, backoff: BackoffClock
) -> None:
    fake.rate_limit_next("POST", MESSAGES, retry_after=2.5)
    message_id = await frontend.post_to_channel(CHANNEL, f.digest_answer(1), nonce="d")
    assert message_id and 2.5 in backoff.sleeps


async def test_post_digest_server_errors_become_network_error(
    frontend: DiscordFrontend, fake: FakeDiscord, backoff: BackoffClock
) -> None:
    for _ in range(5):
        fake.fail_next("POST", MESSAGES, 500)
    with pytest.raises(NetworkError):
        await frontend.post_to_channel(CHANNEL, f.digest_answer(1), nonce="e")
    assert [s for s in backoff.sleeps if s] == [1, 3, 5, 7, 9]


async def test_post_digest_rejected_body_and_long_nonce(frontend: DiscordFrontend, fake: FakeDiscord) -> None:
    fake.fail_next("POST", MESSAGES, 400, {"message": "Invalid Form Body", "code": 50035})
    with pytest.raises(Rejected):
        await frontend.post_to_channel(CHANNEL, f.digest_answer(1), nonce="f")
    with pytest.raises(ValueError, match="25"):
        await frontend.post_to_channel(CHANNEL, f.digest_answer(1), nonce="x" * 26)


async def test_post_digest_unreachable_discord(frontend: DiscordFrontend, fake: FakeDiscord) -> None:
    await fake.close()  # nothing listens any more
    with pytest.raises(NetworkError):
        await frontend.post_to_channel(CHANNEL, f.digest_answer(1), nonce="g")


async def test_post_new_since_digest_posts_every_page_once(frontend: DiscordFrontend, fake: FakeDiscord) -> None:
    since = dataclasses.replace(f.digest_answer(40), day=None)  # "new since the last digest"
    pages = render(since).page_count
    assert pages > 1
    first = await frontend.post_to_channel(CHANNEL, since, nonce="sub7-2026-11-24")
    again = await frontend.post_to_channel(CHANNEL, since, nonce="sub7-2026-11-24")  # a retry
    assert first == again
    sent = fake.sent("POST", MESSAGES)
    nonces = [r.body["nonce"] for r in sent]
    assert nonces[:pages] == ["sub7-2026-11-24"] + [f"sub7-2026-11-24-p{i:02d}" for i in range(1, pages)]
    assert len(set(fake.nonces.values())) == pages  # each page posted exactly once
    assert all("components" not in r.body or r.body["components"] == [] for r in sent)
    footers = [r.body["embeds"][0]["footer"]["text"] for r in sent[:pages]]
    assert footers[0].startswith(f"Page 1 of {pages}") and footers[-1].startswith(f"Page {pages} of {pages}")


def test_page_nonces_stay_within_discords_limit() -> None:
    long = "x" * 25
    assert page_nonce(long, 0) == long
    assert len(page_nonce(long, 3)) == 25 and page_nonce(long, 3) != page_nonce(long, 4)
