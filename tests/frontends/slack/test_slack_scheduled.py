"""A daily digest through the real scheduler to a Slack channel subscribed with /briefbot."""

from __future__ import annotations

import datetime as dt

import time_machine

from bot.core import subscriptions
from bot.delivery import idempotency_key
from bot.frontends.slack import SlackFrontend
from bot.frontends.slack.frontend import DIGEST_EVENT
from bot.render.slack_blocks import all_texts
from bot.schedule.scheduler import DigestScheduler
from tests.frontends.slack.conftest import NOW, ask
from tests.frontends.slack.fake_slack import TEAM, FakeSlack


async def test_subscribed_channel_gets_its_daily_digest_once(http_app: SlackFrontend, fake_slack: FakeSlack):
    slot = NOW.replace(hour=10)  # 10:00 UTC on the context's day
    with time_machine.travel(NOW, tick=False) as clock:
        [ok] = await ask(http_app, fake_slack, "subscribe 10:00 UTC", user="U0ADMIN")
        assert ok["response_type"] == "in_channel"
        scheduler = DigestScheduler.from_context(
            http_app.ctx,
            {"slack": http_app},
            clock=lambda: dt.datetime.now(dt.UTC),
            resync_seconds=None,
        )
        await scheduler.start()
        try:
            for moment in (slot, slot + dt.timedelta(minutes=30), slot + dt.timedelta(hours=3)):
                clock.move_to(moment)
                scheduler.wakeup()
                await scheduler.settle()
        finally:
            scheduler.shutdown()
    [post] = fake_slack.calls_of("chat.postMessage")
    assert post.args["channel"] == "C0GENERAL"
    key = idempotency_key("slack", TEAM, "C0GENERAL", slot.date())
    payload = {"marker": key, "part": 1, "parts": 1}
    assert post.args["metadata"] == {"event_type": DIGEST_EVENT, "event_payload": payload}
    body = "\n".join(all_texts(post.args["blocks"]))
    assert post.args["blocks"][0]["type"] == "header" and "Digest" in post.args["blocks"][0]["text"]["text"]
    assert "“The Kremlin is done seizing territory from Ukraine" in body
    [sub] = subscriptions.list_subscriptions(http_app.ctx.store, platform="slack")
    assert sub.last_posted_on == slot.date().isoformat() and sub.failing_reason is None
