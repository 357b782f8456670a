"""Starting and stopping the Slack app: token checks, clear failures, two apps in one loop."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError

from bot.context import Context
from bot.frontends.slack import SlackAuthError, SlackFrontend, SlackNetworkError, SlackRateLimited
from bot.frontends.slack.errors import SlackConfigError
from bot.settings import Secret
from tests.frontends.slack.conftest import ask, command_payload, slack_settings
from tests.frontends.slack.fake_slack import FakeSlack
from tests.frontends.slack.test_slack_socket_mode import run_envelope


async def test_refused_bot_token_is_a_clear_error(slack_ctx: Context, fake_slack: FakeSlack):
    settings = slack_settings(slack_ctx.settings, fake_slack, socket=True, slack_bot_token=Secret("xoxb-wrong"))
    frontend = SlackFrontend(slack_ctx, settings)
    with pytest.raises(SlackAuthError, match="invalid_auth"):
        await frontend.start()
    await frontend.close()
    assert fake_slack.calls_of("apps.connections.open") == []


async def test_refused_app_token_is_a_clear_error(slack_ctx: Context, fake_slack: FakeSlack):
    settings = slack_settings(slack_ctx.settings, fake_slack, socket=True, slack_app_token=Secret("xapp-wrong"))
    frontend = SlackFrontend(slack_ctx, settings)
    with pytest.raises(SlackAuthError, match="invalid_auth"):
        await frontend.start()
    await frontend.close()


async def test_http_mode_needs_the_signing_secret(slack_ctx: Context, fake_slack: FakeSlack):
    settings = slack_settings(slack_ctx.settings, fake_slack, socket=False, slack_signing_secret=Secret(""))
    frontend = SlackFrontend(slack_ctx, settings)
    with pytest.raises(SlackConfigError, match="SLACK_SIGNING_SECRET"):
        await frontend.start()
    await frontend.close()
    assert fake_slack.calls == []


async def test_unreachable_slack_at_start(slack_ctx: Context, fake_slack: FakeSlack):
    settings = slack_settings(slack_ctx.settings, fake_slack, socket=True)
    await fake_slack.close()
    frontend = SlackFrontend(slack_ctx, settings)
    with pytest.raises(SlackNetworkError):
        await frontend.start()
    await frontend.close()


async def test_errors_keep_the_libraries_shapes(http_app: SlackFrontend, fake_slack: FakeSlack):
    """Code written against slack_sdk (the scheduler's adapter) reads our errors unchanged."""
    from tests.frontends.slack.test_slack_digest import MARKER, seed_digest

    fake_slack.fail("conversations.history", 429, "ratelimited", {"Retry-After": "7"})
    with pytest.raises(SlackApiError) as caught:
        await http_app.post_digest("C0GENERAL", seed_digest(http_app), MARKER)
    assert isinstance(caught.value, SlackRateLimited) and caught.value.retry_after == 7
    assert caught.value.response.status_code == 429
    assert caught.value.response["error"] == "ratelimited"
    assert caught.value.response.headers["Retry-After"] == "7"
    assert issubclass(SlackNetworkError, OSError) and not issubclass(SlackNetworkError, SlackApiError)


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
        assert "#C0GENERAL at 06:00 UTC: active" in by_http["blocks"][0]["text"]["text"]
        assert command_payload(fake_slack, "x")["team_id"] == socket_app.team_id == http_app.team_id
    finally:
        await socket_app.close()
        await http_app.close()
