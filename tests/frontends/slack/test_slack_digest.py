"""Daily digests to a Slack channel: exactly once per marker, threads for long ones, typed errors."""

from __future__ import annotations

import dataclasses

import pytest

from bot import commands
from bot.core.models import BriefingAnswer
from bot.delivery import ChannelGone, DeliveryError, Forbidden, NetworkError, RateLimited
from bot.frontends.slack import SlackFrontend
from bot.frontends.slack.frontend import DIGEST_EVENT
from bot.render.slack_blocks import MAX_BLOCKS, all_texts
from tests.frontends.slack.fake_slack import Channel, FakeSlack
from tests.frontends.slack.helpers import write_long_article

MARKER = "slack:T0TEAM:C0GENERAL:2022-12-10"


def seed_digest(frontend: SlackFrontend) -> BriefingAnswer:
    answer = commands.execute(frontend.ctx, commands.Command("digest", {"date": "2022-12-08"}))
    assert isinstance(answer, BriefingAnswer)
    return answer


async def test_scheduled_digest_is_posted_once_per_marker(http_app: SlackFrontend, fake_slack: FakeSlack):
    answer = seed_digest(http_app)
    ts = await http_app.post_to_channel("C0GENERAL", answer, MARKER)
    [post] = fake_slack.calls_of("chat.postMessage")
    assert post.args["channel"] == "C0GENERAL" and "link_names" not in post.args
    assert post.args["unfurl_links"] is False
    assert post.args["metadata"]["event_type"] == DIGEST_EVENT
    assert post.args["metadata"]["event_payload"]["marker"] == MARKER
    assert post.args["blocks"][0]["text"]["text"] == "Digest for 8 Dec 2022"
    assert "“The Kremlin is done seizing territory from Ukraine, a Russian spokesperson said Thursday.”" in "\n".join(
        all_texts(post.args["blocks"])
    )
    # a retry (crash after posting, timeout...) finds the marker in the channel and posts nothing
    again = await http_app.post_to_channel("C0GENERAL", answer, MARKER)
    assert again == ts
    assert len(fake_slack.calls_of("chat.postMessage")) == 1
    history = fake_slack.calls_of("conversations.history")
    assert len(history) == 2 and history[0].args["include_all_metadata"] in (True, "1", "true")
    # the next day's marker is a new post
    await http_app.post_to_channel("C0GENERAL", answer, MARKER.replace("10", "11"))
    assert len(fake_slack.calls_of("chat.postMessage")) == 2


async def test_a_busy_channel_is_searched_page_by_page_from_the_slot(http_app: SlackFrontend, fake_slack: FakeSlack):
    """250 messages after the digest: the history check pages back to the slot and finds it."""
    import datetime as dt

    answer = seed_digest(http_app)
    slot = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    ts = await http_app.post_to_channel("C0GENERAL", answer, MARKER, since=slot)
    channel = fake_slack.channels["C0GENERAL"]
    for i in range(250):  # the channel keeps talking
        channel.messages.append(
            {"type": "message", "ts": f"{int(slot.timestamp()) + 400}.{i:06d}", "text": f"chat {i}"}
        )
    again = await http_app.post_to_channel("C0GENERAL", answer, MARKER, since=slot)
    assert again == ts and len(fake_slack.calls_of("chat.postMessage")) == 1  # not posted twice
    pages = fake_slack.calls_of("conversations.history")[1:]
    assert len(pages) == 2 and all(float(p.args["oldest"]) <= slot.timestamp() for p in pages)
    assert pages[1].args["cursor"] == "200"


async def test_long_digest_continues_in_a_thread(http_app: SlackFrontend, fake_slack: FakeSlack):
    write_long_article(http_app.ctx.store, quotes=40)
    http_app.ctx.reload_speakers()
    answer = commands.execute(http_app.ctx, commands.Command("digest", {"date": "2022-12-09"}))
    assert isinstance(answer, BriefingAnswer)
    long_answer = dataclasses.replace(answer, quotes=answer.quotes * 4)
    ts = await http_app.post_to_channel("C0GENERAL", long_answer, MARKER)
    posts = fake_slack.calls_of("chat.postMessage")
    assert len(posts) >= 2
    assert "thread_ts" not in posts[0].args or not posts[0].args["thread_ts"]
    assert all(p.args["thread_ts"] == ts for p in posts[1:])
    assert all(len(p.args["blocks"]) <= MAX_BLOCKS for p in posts)
    assert await http_app.post_to_channel("C0GENERAL", long_answer, MARKER) == ts
    assert len(fake_slack.calls_of("chat.postMessage")) == len(posts)


async def test_a_digest_cut_short_by_a_crash_is_completed_not_repeated(http_app: SlackFrontend, fake_slack: FakeSlack):
    write_long_article(http_app.ctx.store, quotes=40)
    http_app.ctx.reload_speakers()
    answer = commands.execute(http_app.ctx, commands.Command("digest", {"date": "2022-12-09"}))
    assert isinstance(answer, BriefingAnswer)
    long_answer = dataclasses.replace(answer, quotes=answer.quotes * 4)
    fake_slack.fail("chat.postMessage", 500, "internal_error", after=2)  # parts 1 and 2 land, then a failure
    with pytest.raises(DeliveryError):
        await http_app.post_to_channel("C0GENERAL", long_answer, MARKER)
    landed = [c.args["metadata"]["event_payload"]["part"] for c in fake_slack.calls_of("chat.postMessage")]
    assert landed[:2] == [1, 2]
    parts = fake_slack.calls_of("chat.postMessage")[0].args["metadata"]["event_payload"]["parts"]
    assert parts >= 3
    ts = await http_app.post_to_channel("C0GENERAL", long_answer, MARKER)  # the scheduler's retry
    messages = fake_slack.channels["C0GENERAL"].messages
    assert sorted(m["metadata"]["event_payload"]["part"] for m in messages) == list(range(1, parts + 1))
    assert messages[0]["ts"] == ts and all(m["thread_ts"] == ts for m in messages[1:])


async def test_joins_a_public_channel_it_is_not_in(http_app: SlackFrontend, fake_slack: FakeSlack):
    fake_slack.channels["C0PUBLIC"] = Channel("C0PUBLIC", member=False)
    await http_app.post_to_channel("C0PUBLIC", seed_digest(http_app), MARKER)
    assert [c.method for c in fake_slack.calls] == [
        "auth.test",
        "conversations.history",
        "conversations.join",
        "conversations.history",
        "chat.postMessage",
    ]


async def test_private_channel_without_the_bot(http_app: SlackFrontend, fake_slack: FakeSlack):
    fake_slack.channels["G0PRIVATE"] = Channel("G0PRIVATE", private=True, member=False)
    with pytest.raises(Forbidden) as caught:
        await http_app.post_to_channel("G0PRIVATE", seed_digest(http_app), MARKER)
    assert caught.value.permanent and "G0PRIVATE" in caught.value.detail
    assert caught.value.code == "not_in_channel"  # Slack's own code, kept for the message
    assert fake_slack.calls_of("chat.postMessage") == []


async def test_channel_not_found(http_app: SlackFrontend, fake_slack: FakeSlack):
    with pytest.raises(ChannelGone) as caught:
        await http_app.post_to_channel("C0GONE", seed_digest(http_app), MARKER)
    assert caught.value.code == "channel_not_found" and caught.value.permanent
    fake_slack.channels["C0OLD"] = Channel("C0OLD", archived=True)
    with pytest.raises(ChannelGone):
        await http_app.post_to_channel("C0OLD", seed_digest(http_app), MARKER)


async def test_rate_limited_with_retry_after(http_app: SlackFrontend, fake_slack: FakeSlack):
    fake_slack.fail("chat.postMessage", 429, "ratelimited", {"Retry-After": "30"})
    with pytest.raises(RateLimited) as caught:
        await http_app.post_to_channel("C0GENERAL", seed_digest(http_app), MARKER)
    assert caught.value.retry_after == 30 and not caught.value.permanent
    # the scheduler retries later: the post goes through, once
    await http_app.post_to_channel("C0GENERAL", seed_digest(http_app), MARKER)
    assert len(fake_slack.channels["C0GENERAL"].messages) == 1


async def test_network_error(http_app: SlackFrontend, fake_slack: FakeSlack):
    answer = seed_digest(http_app)
    await fake_slack.close()  # nothing listens on that port any more
    with pytest.raises(NetworkError) as caught:
        await http_app.post_to_channel("C0GENERAL", answer, MARKER)
    assert not caught.value.permanent


async def test_quiet_day_notice_is_posted_as_one_plain_message(http_app: SlackFrontend, fake_slack: FakeSlack):
    from bot.core.models import Notice

    ts = await http_app.post_to_channel("C0GENERAL", Notice("Nothing new since the last digest."), MARKER)
    [post] = fake_slack.calls_of("chat.postMessage")
    assert post.args["text"] == "Nothing new since the last digest."
    assert [b["type"] for b in post.args["blocks"]] == ["section"]
    assert await http_app.post_to_channel("C0GENERAL", Notice("Nothing new since the last digest."), MARKER) == ts


async def test_the_schedulers_adapter_reads_our_errors(http_app: SlackFrontend, fake_slack: FakeSlack):
    from bot.core.subscriptions import Subscription

    deliverer = http_app  # the front end is the scheduler's deliverer for Slack
    answer = seed_digest(http_app)

    def sub(channel: str) -> Subscription:
        return Subscription(1, "slack", "T0TEAM", channel, "08:00", "UTC", "U0ADMIN", True)

    fake_slack.channels["G0PRIVATE"] = Channel("G0PRIVATE", private=True, member=False)
    with pytest.raises(ChannelGone):
        await deliverer.post_digest(sub("C0GONE"), answer, MARKER)
    with pytest.raises(Forbidden):
        await deliverer.post_digest(sub("G0PRIVATE"), answer, MARKER)
    fake_slack.fail("chat.postMessage", 429, "ratelimited", {"Retry-After": "12"})
    with pytest.raises(RateLimited) as limited:
        await deliverer.post_digest(sub("C0GENERAL"), answer, MARKER)
    assert limited.value.retry_after == 12
    ts = await deliverer.post_digest(sub("C0GENERAL"), answer, MARKER)
    assert ts == fake_slack.channels["C0GENERAL"].messages[0]["ts"]
    await fake_slack.close()
    with pytest.raises(NetworkError):
        await deliverer.post_digest(sub("C0GENERAL"), answer, MARKER)
