"""A fake of Discord's REST API on 127.0.0.1 for the digest benchmark and the adapter tests.

It serves what posting a digest touches: `GET /users/@me` and `/oauth2/applications/@me`
(discord.py's login) and
`POST /channels/{id}/messages`, with Discord's global limit (50 requests per second, answered
with a 429 carrying `retry_after`, `global: true` and a `Via` header, as Discord's edge does),
`nonce` + `enforce_nonce` de-duplication within a window, and channels that are gone (404,
code 10003) or forbidden (403, code 50013). `GET /__stats` reports what it saw.

Also `RestDigestPoster`: posts a digest with discord.py's own `HTTPClient.send_message`
(nonce + enforce_nonce via `handle_message_parameters`), the stand-in for the Discord front
end's client where that is not available. Run the server alone with
`python -m bench.discord_rest --port 0` (prints `PORT <n>`).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import itertools
import json
import time
from typing import Any

import discord
from aiohttp import web
from discord.http import HTTPClient, Route, handle_message_parameters

from bot.core.models import Answer
from bot.render.text import render_text

GLOBAL_LIMIT_PER_SECOND = 50
DISCORD_MAX_CONTENT = 2000
_EPOCH_MS = 1420070400000  # Discord's snowflake epoch


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # exactly "application/json": discord.py reads the body as JSON only on that content type
    return web.Response(body=json.dumps(data).encode(), status=status, headers=headers, content_type="application/json")


class FakeDiscordAPI:
    """The fake's state; `app()` is the aiohttp application serving it."""

    def __init__(
        self,
        *,
        limit_per_second: int = GLOBAL_LIMIT_PER_SECOND,
        nonce_window_s: float = 120.0,
        gone: set[int] | None = None,
        forbidden: set[int] | None = None,
    ) -> None:
        self.limit = limit_per_second
        self.nonce_window_s = nonce_window_s
        self.gone = gone or set()
        self.forbidden = forbidden or set()
        self.window: collections.deque[float] = collections.deque()
        self.messages: dict[int, list[dict[str, Any]]] = collections.defaultdict(list)
        self.nonces: dict[tuple[int, str], tuple[float, dict[str, Any]]] = {}
        self.rate_limited = 0
        self.requests = 0
        self.post_times: list[float] = []
        self.limited_times: list[float] = []
        self._seq = itertools.count()

    def _snowflake(self) -> str:
        return str(((int(time.time() * 1000) - _EPOCH_MS) << 22) | (next(self._seq) & 0x3FFFFF))

    def _over_global_limit(self) -> float | None:
        """Seconds until a request would be allowed, or None when it is allowed now (and counted)."""
        now = time.monotonic()
        while self.window and now - self.window[0] >= 1.0:
            self.window.popleft()
        if len(self.window) >= self.limit:
            return max(0.001, 1.0 - (now - self.window[0]))
        self.window.append(now)
        return None

    def _limited(self, retry_after: float) -> web.Response:
        self.rate_limited += 1
        self.limited_times.append(time.time())
        return _json(
            {"message": "You are being rate limited.", "retry_after": round(retry_after, 3), "global": True},
            status=429,
            headers={
                "Via": "1.1 google",
                "X-RateLimit-Global": "true",
                "X-RateLimit-Scope": "global",
                "Retry-After": str(max(1, round(retry_after))),
            },
        )

    async def me(self, request: web.Request) -> web.Response:
        self.requests += 1
        retry = self._over_global_limit()
        if retry is not None:
            return self._limited(retry)
        return _json(
            {
                "id": "1000",
                "username": "briefbot",
                "discriminator": "0",
                "global_name": None,
                "avatar": None,
                "bot": True,
            }
        )

    async def application(self, request: web.Request) -> web.Response:
        self.requests += 1
        retry = self._over_global_limit()
        if retry is not None:
            return self._limited(retry)
        owner = {"id": "1001", "username": "owner", "discriminator": "0", "avatar": None, "bot": False}
        return _json(
            {
                "id": "1000",
                "name": "briefbot",
                "icon": None,
                "description": "",
                "bot_public": True,
                "bot_require_code_grant": False,
                "owner": owner,
                "verify_key": "0" * 64,
                "flags": 0,
                "team": None,
                "summary": "",
                "rpc_origins": [],
            }
        )

    async def create_message(self, request: web.Request) -> web.Response:
        self.requests += 1
        retry = self._over_global_limit()
        if retry is not None:
            return self._limited(retry)
        channel_id = int(request.match_info["channel_id"])
        if channel_id in self.gone:
            return _json({"message": "Unknown Channel", "code": 10003}, status=404)
        if channel_id in self.forbidden:
            return _json({"message": "Missing Permissions", "code": 50013}, status=403)
        body = await request.json()
        content = body.get("content") or ""
        if len(content) > DISCORD_MAX_CONTENT:
            return _json(
                {
                    "message": "Invalid Form Body",
                    "code": 50035,
                    "errors": {"content": {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH"}]}},
                },
                status=400,
            )
        nonce = body.get("nonce")
        now = time.monotonic()
        if nonce is not None and body.get("enforce_nonce"):
            seen = self.nonces.get((channel_id, str(nonce)))
            if seen is not None and now - seen[0] <= self.nonce_window_s:
                return _json(seen[1])  # the first message, nothing new created
        message = {
            "id": self._snowflake(),
            "channel_id": str(channel_id),
            "content": content,
            "nonce": nonce,
            "author": {"id": "1000", "username": "briefbot", "discriminator": "0", "avatar": None, "bot": True},
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime()),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": body.get("embeds") or [],
            "pinned": False,
            "type": 0,
        }
        self.messages[channel_id].append(message)
        self.post_times.append(time.time())
        if nonce is not None:
            self.nonces[(channel_id, str(nonce))] = (now, message)
        return _json(message)

    async def stats(self, request: web.Request) -> web.Response:
        return _json(self.stats_dict())

    def stats_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "rate_limited": self.rate_limited,
            "posts_per_channel": {str(c): len(m) for c, m in self.messages.items()},
            "first_post": min(self.post_times, default=None),
            "last_post": max(self.post_times, default=None),
            "rate_limited_at": self.limited_times,
            "post_times": self.post_times,
        }

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/api/v10/users/@me", self.me)
        app.router.add_get("/api/v10/oauth2/applications/@me", self.application)
        app.router.add_post("/api/v10/channels/{channel_id}/messages", self.create_message)
        app.router.add_get("/__stats", self.stats)
        return app


async def serve(api: FakeDiscordAPI, port: int = 0) -> tuple[web.AppRunner, int]:
    """Start the fake on 127.0.0.1; returns the runner (to clean up) and the port."""
    runner = web.AppRunner(api.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    sockets = site._server.sockets if site._server else []  # aiohttp exposes no public accessor
    return runner, sockets[0].getsockname()[1]


def point_discord_py_at(base: str) -> None:
    """Make discord.py's every REST call go to `base` (e.g. http://127.0.0.1:8080/api/v10)."""
    Route.BASE = base


class RestDigestPoster:
    """`post_digest(channel_id, answer, nonce)` over discord.py's HTTPClient, content as text."""

    def __init__(self, http: HTTPClient) -> None:
        self.http = http

    async def post_digest(self, channel_id: str, answer: Answer, nonce: str) -> str:
        text = render_text(answer)
        if len(text) > DISCORD_MAX_CONTENT:  # the bench's stand-in; the front end renders embeds
            text = text[: DISCORD_MAX_CONTENT - 1] + "…"
        params = handle_message_parameters(content=text, nonce=nonce, allowed_mentions=discord.AllowedMentions.none())
        data = await self.http.send_message(int(channel_id), params=params)
        return str(data["id"])


async def _main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--limit", type=int, default=GLOBAL_LIMIT_PER_SECOND)
    args = parser.parse_args()
    runner, port = await serve(FakeDiscordAPI(limit_per_second=args.limit), args.port)
    print(f"PORT {port}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


if __name__ == "__main__":
    asyncio.run(_main())
