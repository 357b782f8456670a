"""Socket Mode: envelopes over a real WebSocket through Bolt's handler; subscriptions; long answers."""

from __future__ import annotations

import json

from bot.core import subscriptions
from bot.frontends.slack import SlackFrontend
from bot.render.slack_blocks import MAX_BLOCKS, MAX_SECTION_TEXT, all_texts
from tests.frontends.slack.conftest import ask, command_payload, slack_settings
from tests.frontends.slack.fake_slack import APP_TOKEN, TEAM, FakeSlack
from tests.frontends.slack.helpers import write_long_article


async def run_envelope(fake: FakeSlack, text: str, *, user: str = "U0MEMBER", answers: int = 1) -> list[dict]:
    before = len(fake.responses)
    envelope_id = await fake.send_envelope("slash_commands", command_payload(fake, text, user=user))
    await fake.wait_for(lambda: any(a.get("envelope_id") == envelope_id for a in fake.acks))
    await fake.wait_for(lambda: len(fake.responses) >= before + answers)
    return fake.responses[before:]


async def test_socket_mode_envelope_is_acked_and_answered(socket_app: SlackFrontend, fake_slack: FakeSlack):
    [opened] = fake_slack.calls_of("apps.connections.open")
    assert opened.token == APP_TOKEN
    [response] = await run_envelope(fake_slack, "status Donetsk")
    assert response["response_type"] == "in_channel"
    assert response["blocks"][0]["text"]["text"] == "Donetsk (UA-14): what the sources say"
    assert "“the four territories it annexed from Ukraine in September" in "\n".join(all_texts(response["blocks"]))


async def test_non_admin_cannot_subscribe(socket_app: SlackFrontend, fake_slack: FakeSlack):
    [response] = await run_envelope(fake_slack, "subscribe 07:30 Europe/Kyiv", user="U0MEMBER")
    assert response["response_type"] == "ephemeral"
    assert "Only workspace admins and owners" in all_texts(response["blocks"])[0]
    assert socket_app.ctx.store["subscriptions"].count == 0
    [listing] = await run_envelope(fake_slack, "subscriptions", user="U0MEMBER")
    assert listing["response_type"] == "ephemeral"
    assert [c.args["user"] for c in fake_slack.calls_of("users.info")] == ["U0MEMBER", "U0MEMBER"]


async def test_admin_subscribes_lists_and_unsubscribes(socket_app: SlackFrontend, fake_slack: FakeSlack):
    changes: list[str] = []

    def listener() -> None:  # as the scheduler listens
        changes.append("changed")

    subscriptions.add_listener(listener)
    try:
        await subscribe_list_unsubscribe(socket_app, fake_slack)
    finally:
        subscriptions.remove_listener(listener)
    assert changes == ["changed", "changed"]


async def subscribe_list_unsubscribe(socket_app: SlackFrontend, fake_slack: FakeSlack) -> None:
    [ok] = await run_envelope(fake_slack, "subscribe 07:30 Europe/Kyiv", user="U0ADMIN")
    assert ok["response_type"] == "in_channel"
    assert "07:30 (Europe/Kyiv)" in all_texts(ok["blocks"])[0]
    [sub] = subscriptions.list_subscriptions(socket_app.ctx.store, platform="slack")
    assert (sub.workspace, sub.channel, sub.local_time, sub.timezone, sub.created_by) == (
        TEAM,
        "C0GENERAL",
        "07:30",
        "Europe/Kyiv",
        "U0ADMIN",
    )
    [listing] = await run_envelope(fake_slack, "subscriptions", user="U0OWNER")
    assert "<#C0GENERAL> at 07:30 Europe/Kyiv: active" in "\n".join(all_texts(listing["blocks"]))
    [bad] = await run_envelope(fake_slack, "subscribe 25:00", user="U0ADMIN")
    assert bad["response_type"] == "ephemeral" and "HH:MM" in all_texts(bad["blocks"])[0]
    [stopped] = await run_envelope(fake_slack, "unsubscribe", user="U0OWNER")
    assert "stopped" in all_texts(stopped["blocks"])[0]
    assert subscriptions.list_subscriptions(socket_app.ctx.store, platform="slack") == []


async def test_subscriber_group_member_may_subscribe(slack_ctx, fake_slack: FakeSlack):
    settings = slack_settings(slack_ctx.settings, fake_slack, socket=True, slack_subscriber_group="@news-editors")
    frontend = SlackFrontend(slack_ctx, settings)
    await frontend.start()
    try:
        [ok] = await run_envelope(fake_slack, "subscribe", user="U0EDITOR")
        assert ok["response_type"] == "in_channel"
        [sub] = subscriptions.list_subscriptions(slack_ctx.store, platform="slack")
        assert (sub.local_time, sub.timezone) == (slack_ctx.settings.digest_time, slack_ctx.settings.timezone)
        [refused] = await run_envelope(fake_slack, "unsubscribe", user="U0MEMBER")
        assert "or members of the subscriber group" in all_texts(refused["blocks"])[0]
        assert [c.args["usergroup"] for c in fake_slack.calls_of("usergroups.users.list")] == ["S0EDITORS"] * 2
    finally:
        await frontend.close()


async def test_long_answer_is_split_between_items(http_app: SlackFrontend, fake_slack: FakeSlack):
    words = write_long_article(http_app.ctx.store, quotes=60)
    http_app.ctx.reload_speakers()
    first = await ask(http_app, fake_slack, "quote Peskov")
    # the first part announces how many follow ("(1/3)"); wait for all of them
    total = int(first[0]["text"].rsplit("/", 1)[1].rstrip(")"))
    await fake_slack.wait_for(lambda: len(fake_slack.responses) >= total)
    parts = fake_slack.responses[:total]
    assert total >= 2
    shown = []
    for n, part in enumerate(parts, start=1):
        assert part["response_type"] == "in_channel"
        assert len(part["blocks"]) <= MAX_BLOCKS
        texts = all_texts(part["blocks"])
        assert all(len(t) <= MAX_SECTION_TEXT for t in texts)
        if n > 1:
            assert f"(continued) ({n}/{total})" in texts[0]
        shown += [w for w in words if any(f"“{w}”" in t for t in texts)]
    # whole quotes, each in exactly one message: all 50 the query returns (its limit)
    assert len(shown) == len(set(shown)) == 50
    assert "?a=1&amp;b=2|Example News, 9 Dec 2022>" in json.dumps(parts[0])


async def test_a_quote_too_long_for_a_section_is_cut_with_a_marker(http_app: SlackFrontend, fake_slack: FakeSlack):
    write_long_article(http_app.ctx.store, quotes=0, giant=10_000)
    http_app.ctx.reload_speakers()
    [response] = await ask(http_app, fake_slack, "quote Peskov")
    body = "\n".join(all_texts(response["blocks"]))
    assert "✂ [cut: " in body and "more characters — full text at the source]”" in body
    assert "<!everyone>" not in body and "&lt;!everyone&gt; &amp; all of you" in body
    assert all(len(t) <= MAX_SECTION_TEXT for t in all_texts(response["blocks"]))


async def test_permission_check_that_slack_refuses_is_a_short_ephemeral_error(
    socket_app: SlackFrontend, fake_slack: FakeSlack
):
    fake_slack.fail("users.info", 200, "missing_scope")
    [response] = await run_envelope(fake_slack, "subscribe 07:00", user="U0ADMIN")
    assert response["response_type"] == "ephemeral"
    assert all_texts(response["blocks"]) == [
        "⚠ Could not check with Slack who may change this channel's digests (missing_scope)."
    ]
    assert socket_app.ctx.store["subscriptions"].count == 0
