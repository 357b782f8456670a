"""Starting and stopping the Slack app: token checks, clear failures, two apps in one loop."""

from __future__ import annotations

import pytest

from bot.context import Context
from bot.delivery import AuthError, ConfigError, NetworkError, RateLimited
from bot.frontends.slack import SlackFrontend
from bot.render.slack_blocks import all_texts
from bot.settings import Secret
from tests.frontends.slack.conftest import ask, command_payload, slack_settings
from tests.frontends.slack.fake_slack import FakeSlack
from tests.frontends.slack.test_slack_socket_mode import run_envelope


async def test_refused_bot_token_is_a_clear_error(slack_ctx: Context, fake_slack: FakeSlack):
    settings = slack_settings(slack_ctx.settings, fake_slack, socket=True, slack_bot_token=Secret("xoxb-wrong"))
    frontend = SlackFrontend(slack_ctx, settings)
    with pytest.raises(AuthError, match="invalid_auth"):
        await frontend.start()
    await frontend.close()
    assert fake_slack.calls_of("apps.connections.open") == []


async def test_refused_app_token_is_a_clear_error(slack_ctx: Context, fake_slack: FakeSlack):
    settings = slack_settings(slack_ctx.settings, fake_slack, socket=True, slack_app_token=Secret("xapp-wrong"))
    frontend = SlackFrontend(slack_ctx, settings)
    with pytest.raises(AuthError, match="invalid_auth"):
        await frontend.start()
    await frontend.close()


async def test_http_mode_needs_the_signing_secret(slack_ctx: Context, fake_slack: FakeSlack):
    settings = slack_settings(slack_ctx.settings, fake_slack, socket=False, slack_signing_secret=Secret(""))
    frontend = SlackFrontend(slack_ctx, settings)
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET"):
        await frontend.start()
    await frontend.close()
    assert fake_slack.calls == []


async def test_unreachable_slack_at_start(slack_ctx: Context, fake_slack: FakeSlack):
    settings = slack_settings(slack_ctx.settings, fake_slack, socket=True)
    await fake_slack.close()
    frontend = SlackFrontend(slack_ctx, settings)
    with pytest.raises(NetworkError):
        await frontend.start()
    await frontend.close()


async def test_slacks_errors_are_the_schedulers_errors(http_app: SlackFrontend, fake_slack: FakeSlack):
    """One mapping of Slack's codes: what the front end raises is what the scheduler acts on."""
    from tests.frontends.slack.test_slack_digest import MARKER, seed_digest

    fake_slack.fail("conversations.history", 429, "ratelimited", {"Retry-After": "7"})
    with pytest.raises(RateLimited) as caught:
        await http_app.post_to_channel("C0GENERAL", seed_digest(http_app), MARKER)
    assert caught.value.retry_after == 7 and caught.value.code == "ratelimited" and not caught.value.permanent
    fake_slack.fail("conversations.history", 200, "account_inactive")
    with pytest.raises(AuthError) as inactive:  # the token's account is gone: an auth error everywhere
        await http_app.post_to_channel("C0GENERAL", seed_digest(http_app), MARKER)
    assert inactive.value.permanent and inactive.value.code == "account_inactive"
    assert "token" in inactive.value.describe()


async def test_two_apps_share_one_loop_and_one_store(slack_ctx: Context, fake_slack: FakeSlack):
    """Socket Mode and HTTP side by side: start() returns, neither blocks the loop or the store."""
    socket_app = SlackFrontend(slack_ctx, slack_settings(slack_ctx.settings, fake_slack, socket=True))
    http_app = SlackFrontend(slack_ctx, slack_settings(slack_ctx.settings, fake_slack, socket=False))
    await socket_app.start()
    await http_app.start()
    try:
        [by_socket] = await run_envelope(fake_slack, "subscribe 06:00 UTC", user="U0ADMIN")
        assert by_socket["response_type"] == "in_channel"
        [by_http] = await ask(http_app, fake_slack, "subscriptions", user="U0OWNER")
        assert "<#C0GENERAL> at 06:00 UTC: active" in "\n".join(all_texts(by_http["blocks"]))
        assert command_payload(fake_slack, "x")["team_id"] == socket_app.team_id == http_app.team_id
    finally:
        await socket_app.close()
        await http_app.close()
