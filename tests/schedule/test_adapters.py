"""The Discord and Slack deliverers over the real client libraries, against fake HTTP APIs on
127.0.0.1 (for Discord the front end's tests' fake, `FakeDiscord`): message ids, nonce
de-duplication, and each failure mapped to its typed error."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator

import discord
import pytest
from aiohttp import web
from discord.http import HTTPClient, Route, handle_message_parameters
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.db import Store
from bot.core.models import Answer, Notice
from bot.render.text import render_text
from bot.schedule import outbox
from bot.schedule.adapters import DiscordDeliverer, DiscordPacer, SlackDeliverer
from bot.schedule.deliver import ChannelGone, Forbidden, NetworkError, RateLimited, idempotency_key
from bot.schedule.scheduler import DigestScheduler
from tests.frontends.discord.fake_discord import FakeDiscord
from tests.schedule.fakes import Crash, FixedComposer, add_sub, advance, subscription, utc


class CountingLimiter:
    """Stands in for the leaky bucket (which would wait on the real clock): counts the turns."""

    def __init__(self) -> None:
        self.turns = 0

    async def acquire(self) -> None:
        self.turns += 1


class CountingPacer(DiscordPacer):
    def __init__(self) -> None:
        super().__init__(limiter=CountingLimiter())  # type: ignore[arg-type]


class RestDigestPoster:
    """A minimal Discord client with the front end's shape: discord.py's own message create
    (`nonce` + `enforce_nonce` via `handle_message_parameters`), the digest as text content."""

    def __init__(self, http: HTTPClient) -> None:
        self.http = http

    async def post_digest(self, channel_id: str, answer: Answer, nonce: str) -> str:
        params = handle_message_parameters(
            content=render_text(answer), nonce=nonce, allowed_mentions=discord.AllowedMentions.none()
        )
        data = await self.http.send_message(int(channel_id), params=params)
        return str(data["id"])


@pytest.fixture
async def discord_api(monkeypatch) -> AsyncIterator[tuple[FakeDiscord, HTTPClient]]:
    api = FakeDiscord()
    api.gone_channels.add("404")
    api.forbidden_channels.add("403")
    await api.start()
    monkeypatch.setattr(Route, "BASE", api.base)
    http = HTTPClient(asyncio.get_running_loop())
    pacer = CountingPacer()
    pacer.install(http)
    http.pacer = pacer  # type: ignore[attr-defined]
    await http.static_login("fake-token")
    yield api, http
    await http.close()
    await api.close()
    assert api.violations == [], "requests Discord would refuse:\n" + "\n".join(api.violations)


async def test_discord_posts_once_per_nonce(discord_api):
    api, http = discord_api
    deliverer = DiscordDeliverer(RestDigestPoster(http))
    key = idempotency_key("discord", "g1", "42", dt.date(2026, 10, 5))
    first = await deliverer.post_digest(subscription("42"), Notice("hello @everyone"), key)
    again = await deliverer.post_digest(subscription("42"), Notice("hello @everyone"), key)
    assert first == again
    assert [m["content"] for m in api.channel_messages["42"]] == [render_text(Notice("hello @everyone"))]
    assert api.channel_messages["42"][0]["nonce"] == key and len(key) <= 25
    other = await deliverer.post_digest(subscription("42"), Notice("next day"), key.replace(key[-1], "x"))
    assert other != first and len(api.channel_messages["42"]) == 2
    assert http.pacer.limiter.turns == 3  # every message create takes a turn; the login does not


async def test_pacing_must_be_installed_before_login(discord_api):
    _, http = discord_api
    with pytest.raises(RuntimeError, match="before the Discord client logs in"):
        DiscordPacer().install(http)


@pytest.mark.parametrize(
    ("channel", "error"),
    [("404", ChannelGone), ("403", Forbidden), ("general", ChannelGone)],
)
async def test_discord_failures_are_typed(discord_api, channel, error):
    _, http = discord_api
    with pytest.raises(error):
        await DiscordDeliverer(RestDigestPoster(http)).post_digest(subscription(channel), Notice("x"), "k")


async def test_discord_unreachable_is_a_network_error(discord_api, monkeypatch):
    _, http = discord_api
    monkeypatch.setattr(Route, "BASE", "http://127.0.0.1:9/api/v10")  # nothing listens on port 9
    with pytest.raises(NetworkError):
        await DiscordDeliverer(RestDigestPoster(http)).post_digest(subscription("42"), Notice("x"), "k")


class CrashOnce:
    """The Discord client, killed once right after Discord accepted the message."""

    def __init__(self, inner: RestDigestPoster) -> None:
        self.inner = inner
        self.crashed = False

    async def post_digest(self, channel_id: str, answer: Answer, nonce: str) -> str:
        message_id = await self.inner.post_digest(channel_id, answer, nonce)
        if not self.crashed:
            self.crashed = True
            raise Crash("killed before the message id was recorded")
        return message_id


async def test_crash_after_discord_accepted_is_absorbed_by_the_nonce(discord_api, db_path, travel, schedulers):
    api, http = discord_api
    slot = utc(2026, 10, 5, 6)
    clock = travel(slot - dt.timedelta(minutes=1))
    db = Store(db_path)
    sub = add_sub(db, "42", "09:00", created=slot - dt.timedelta(hours=1))
    deliverer = DiscordDeliverer(CrashOnce(RestDigestPoster(http)))
    first = DigestScheduler(db, {"discord": deliverer}, compose=FixedComposer(), resync_seconds=None)
    schedulers.append(first)
    await first.start()
    await advance(clock, first, slot)
    assert len(api.channel_messages["42"]) == 1 and outbox.find(db, sub, dt.date(2026, 10, 5)).message_id is None

    first.shutdown()  # the process died; a new one starts 30 s later
    clock.move_to(slot + dt.timedelta(seconds=30))
    second = DigestScheduler(Store(db_path), {"discord": deliverer}, compose=FixedComposer(), resync_seconds=None)
    schedulers.append(second)
    await second.start()
    await second.settle()
    assert len(api.channel_messages["42"]) == 1
    assert len(api.requests) == 3  # login, the accepted post, the retry answered from the nonce
    assert outbox.find(db, sub, dt.date(2026, 10, 5)).message_id == api.channel_messages["42"][0]["id"]


# ---------------------------------------------------------------------------------------------
# Slack: slack_sdk's AsyncWebClient against a fake chat.postMessage


class SlackPoster:
    """A minimal Slack client with the front end's shape (the real one also checks history)."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client

    async def post_digest(self, channel: str, answer: Answer, marker: str) -> str:
        response = await self.client.chat_postMessage(channel=channel, text=render_text(answer))
        return str(response["ts"])


@pytest.fixture
async def slack_client() -> AsyncIterator[AsyncWebClient]:
    async def post_message(request: web.Request) -> web.Response:
        form = await request.post()
        channel = str(form.get("channel") or (await request.json()).get("channel"))
        if channel == "C_RATE":
            return web.json_response({"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "7"})
        errors = {"C_GONE": "channel_not_found", "C_OUT": "not_in_channel", "C_ODD": "msg_too_long"}
        if channel in errors:
            return web.json_response({"ok": False, "error": errors[channel]})
        return web.json_response({"ok": True, "channel": channel, "ts": "1700000000.000100"})

    app = web.Application()
    app.router.add_post("/api/chat.postMessage", post_message)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    yield AsyncWebClient(token="xoxb-fake", base_url=f"http://127.0.0.1:{port}/api/")
    await runner.cleanup()


async def test_slack_posts_and_returns_the_ts(slack_client):
    posted = await SlackDeliverer(SlackPoster(slack_client)).post_digest(subscription("C1", "slack"), Notice("x"), "m")
    assert posted == "1700000000.000100"


@pytest.mark.parametrize(("channel", "error"), [("C_GONE", ChannelGone), ("C_OUT", Forbidden)])
async def test_slack_failures_are_typed(slack_client, channel, error):
    with pytest.raises(error):
        await SlackDeliverer(SlackPoster(slack_client)).post_digest(subscription(channel, "slack"), Notice("x"), "m")


async def test_slack_rate_limit_carries_retry_after(slack_client):
    with pytest.raises(RateLimited) as caught:
        await SlackDeliverer(SlackPoster(slack_client)).post_digest(subscription("C_RATE", "slack"), Notice("x"), "m")
    assert caught.value.retry_after == 7.0


# ---------------------------------------------------------------------------------------------
# The front ends' own typed errors (their modules live beside this one): matched by class name


def _frontend_error(name: str, base: type[Exception] = Exception, **attrs: object) -> type[Exception]:
    return type(name, (base,), {"__module__": "bot.frontends.fake.errors", **attrs})


class RaisingClient:
    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    async def post_digest(self, channel: str, answer: Answer, key: str) -> str:
        raise self.exc


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ChannelGone", ChannelGone),
        ("ChannelForbidden", Forbidden),
        ("DeliveryNetworkError", NetworkError),
        ("SlackChannelGone", ChannelGone),
        ("SlackNotInChannel", Forbidden),
        ("SlackAuthError", Forbidden),
        ("SlackNetworkError", NetworkError),
    ],
)
async def test_front_end_errors_are_mapped(name, expected):
    base = _frontend_error("SlackDeliveryError" if name.startswith("Slack") else "DeliveryError")
    error = _frontend_error(name, base)("channel 42: gone away")
    for deliverer in (DiscordDeliverer(RaisingClient(error)), SlackDeliverer(RaisingClient(error))):
        with pytest.raises(expected) as caught:
            await deliverer.post_digest(subscription("42"), Notice("x"), "k")
        assert "gone away" in caught.value.describe()


async def test_front_end_rate_limit_keeps_retry_after():
    error = _frontend_error("SlackRateLimited", _frontend_error("SlackDeliveryError"))("slow down")
    error.retry_after = 12.0
    with pytest.raises(RateLimited) as caught:
        await SlackDeliverer(RaisingClient(error)).post_digest(subscription("C1", "slack"), Notice("x"), "m")
    assert caught.value.retry_after == 12.0


async def test_unknown_exceptions_pass_through():
    with pytest.raises(KeyError):
        await SlackDeliverer(RaisingClient(KeyError("bug"))).post_digest(subscription("C1", "slack"), Notice("x"), "m")
