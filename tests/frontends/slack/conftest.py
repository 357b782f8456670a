"""Fixtures of the Slack tests: a fake Slack on 127.0.0.1, a real store, a running front end."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import shutil
import time
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
import pytest

from bot.context import Context, open_context
from bot.frontends.slack import SlackFrontend
from bot.settings import Secret, Settings, load_settings
from tests.frontends.slack.fake_slack import APP_TOKEN, BOT_TOKEN, TEAM, FakeSlack

REPO = Path(__file__).resolve().parents[3]
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
NOW = dt.datetime(2022, 12, 10, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def slack_ctx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Context:
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    summaries = tmp_path / "summaries"
    shutil.copytree(REPO / "summaries", summaries)
    settings = load_settings(db_path=tmp_path / "briefbot.db", summaries_dir=summaries)
    context = open_context(settings, clock=lambda: NOW)
    assert context.store["articles"].count >= 1
    return context


@pytest.fixture
async def fake_slack() -> AsyncIterator[FakeSlack]:
    fake = FakeSlack()
    await fake.start()
    yield fake
    await fake.close()


def slack_settings(base: Settings, fake: FakeSlack, *, socket: bool, **extra: object) -> Settings:
    values: dict = dict(
        slack_bot_token=Secret(BOT_TOKEN),
        slack_app_token=Secret(APP_TOKEN if socket else ""),
        slack_signing_secret=Secret(SIGNING_SECRET),
        slack_api_base=fake.api_base,
        slack_port=0,
    )
    values.update(extra)
    return base.with_(**values)


@pytest.fixture
async def http_app(slack_ctx: Context, fake_slack: FakeSlack) -> AsyncIterator[SlackFrontend]:
    frontend = SlackFrontend(slack_ctx, slack_settings(slack_ctx.settings, fake_slack, socket=False))
    await frontend.start()
    yield frontend
    await frontend.close()


@pytest.fixture
async def socket_app(slack_ctx: Context, fake_slack: FakeSlack) -> AsyncIterator[SlackFrontend]:
    frontend = SlackFrontend(slack_ctx, slack_settings(slack_ctx.settings, fake_slack, socket=True))
    await frontend.start()
    yield frontend
    await frontend.close()


def command_payload(fake: FakeSlack, text: str, *, user: str = "U0MEMBER", channel: str = "C0GENERAL") -> dict:
    return {
        "token": "legacy-verification-token",
        "team_id": TEAM,
        "team_domain": "test",
        "channel_id": channel,
        "channel_name": "general",
        "user_id": user,
        "user_name": user.lower(),
        "command": "/briefbot",
        "text": text,
        "api_app_id": "A0APP",
        "response_url": fake.response_url(),
        "trigger_id": "1.2.3",
    }


def sign(body: str, timestamp: int, secret: str = SIGNING_SECRET) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


async def post_command(
    frontend: SlackFrontend,
    payload: dict,
    *,
    secret: str = SIGNING_SECRET,
    timestamp: int | None = None,
) -> tuple[int, str]:
    """POST a signed slash-command request to the app over HTTP on 127.0.0.1."""
    body = urlencode(payload)
    ts = int(time.time()) if timestamp is None else timestamp
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": sign(body, ts, secret),
    }
    url = f"http://127.0.0.1:{frontend.port}/slack/events"
    async with aiohttp.ClientSession() as session, session.post(url, data=body, headers=headers) as response:
        return response.status, await response.text()


async def ask(frontend: SlackFrontend, fake: FakeSlack, text: str, **kwargs: str) -> list[dict]:
    """Run `/briefbot TEXT` through signed HTTP and return what arrived at its response_url."""
    payload = command_payload(fake, text, **kwargs)
    before = len(fake.responses)
    status, _ = await post_command(frontend, payload)
    assert status == 200
    await fake.wait_for(lambda: len(fake.responses) > before)
    # a long answer comes as several posts; the app sends them back to back
    return fake.responses[before:]
