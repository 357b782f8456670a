"""The one fake of Discord's REST API on 127.0.0.1 (aiohttp), strict about what it is sent.

It answers the calls briefbot makes (login, command sync, interaction callbacks, follow-ups and
edits, channel messages) the way Discord does, with `Content-Type: application/json` exactly
(discord.py only parses JSON when the header is exactly that), and records every request. Every
request body is validated against Discord's OpenAPI description and against the message limits
and the no-ping rule; problems go to `violations`, which the test fixture asserts is empty.
Tests script failures (`fail_next`: 429 with retry-after, 500, 403, 404) per operation.

Message creation behaves like Discord's: `nonce` + `enforce_nonce` answer a repeat within the
de-duplication window with the first message, channels can be gone (404, code 10003) or
forbidden (403, code 50001), and `global_limit` answers requests beyond Discord's global limit
with a global 429 carrying `retry_after` and a `Via` header, as Discord's edge does.
`GET /__stats` reports what it saw. The digest benchmark runs it in its own process:
`python -m tests.frontends.discord.fake_discord --port 0` (prints `PORT <n>`).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import json
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.frontends.discord.limits import CALLBACK, check_message_body
from tests.frontends.discord.openapi import SpecValidator, spec_validator

APPLICATION_ID = "1100000000000000001"
GLOBAL_LIMIT_PER_SECOND = 50  # Discord's global limit for a bot
# Discord answers a repeated nonce with the first message "in the past few minutes"
NONCE_WINDOW_S = 120.0
BOT_USER_ID = APPLICATION_ID
_snowflakes = itertools.count(1300000000000000000)


def snowflake() -> str:
    return str(next(_snowflakes))


@dataclass
class Recorded:
    """One request as the fake received it."""

    method: str
    path: str  # without the /api/v10 prefix
    template: str  # the operation's path template in the spec, "" when unknown
    query: dict[str, str]
    body: Any
    received_at: float  # time.perf_counter() when the request arrived
    status: int = 0


@dataclass
class Scripted:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


def bot_user() -> dict[str, Any]:
    return {
        "id": BOT_USER_ID,
        "username": "briefbot",
        "discriminator": "0",
        "global_name": "briefbot",
        "avatar": None,
        "bot": True,
        "flags": 0,
        "public_flags": 0,
    }


class FakeDiscord:
    """Start with `await fake.start()`; `fake.base` is the DISCORD_API_BASE to give the bot."""

    def __init__(
        self,
        validator: SpecValidator | None = None,
        *,
        validate_later: bool = False,
        global_limit: int | None = None,
        rolling_window: bool = False,
        nonce_window_s: float = NONCE_WINDOW_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.validator = validator or spec_validator()
        # global_limit: Discord's global rate limit (50 requests a second for a bot): requests
        # beyond it in one second get a global 429 with retry_after, as Discord answers them.
        # A second is the clock's whole second, or with rolling_window any one-second span
        # (stricter: no burst across a second's boundary; the digest benchmark uses it).
        self.global_limit = global_limit
        self.rolling_window = rolling_window
        self.nonce_window_s = nonce_window_s
        self.clock = clock
        self.global_429s = 0
        self.global_429_times: list[float] = []  # clock() of each global 429
        self._allowed: deque[float] = deque()  # clock() of the requests allowed in the window
        # validate_later: check bodies in `validate_recorded()` instead of while answering (the
        # benchmark, where the fake shares the event loop with the bot it measures)
        self.validate_later = validate_later
        self.requests: list[Recorded] = []
        self.violations: list[str] = []
        self.scripted: dict[tuple[str, str], deque[Scripted]] = {}
        self.messages: dict[str, dict[str, Any]] = {}
        self.commands: dict[str, list[dict[str, Any]]] = {}  # "global" or guild id -> definitions
        self.nonces: dict[tuple[str, str], tuple[float, str]] = {}  # (channel, nonce) -> (clock(), message id)
        self.channel_messages: dict[str, list[dict[str, Any]]] = {}  # channel id -> messages created
        self.post_times: list[float] = []  # clock() of each channel message created
        self.gone_channels: set[str] = set()
        self.forbidden_channels: set[str] = set()
        self._arrived = asyncio.Condition()
        self._callbacks: dict[str, asyncio.Future[Recorded]] = {}  # interaction id -> its callback
        # gateway: enough of it for a client to IDENTIFY, get READY and receive dispatches
        self.identify: dict[str, Any] | None = None
        self.gateway_ready = asyncio.Event()
        self._sockets: list[web.WebSocketResponse] = []
        self._sequence = 0
        self._port = 0
        self._runner: web.AppRunner | None = None
        self.base = ""

    # ---------------------------------------------------------------- lifecycle

    async def start(self, port: int = 0) -> str:
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/__stats", self._stats)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._port = port
        self.base = f"http://127.0.0.1:{port}/api/v10"
        return self.base

    async def close(self) -> None:
        for ws in self._sockets:
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def port(self) -> int:
        return self._port

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self._port}/gateway"

    # ---------------------------------------------------------------- scripting and queries

    def fail_next(self, method: str, template: str, status: int, body: Any = None, **headers: str) -> None:
        """The next `method template` request gets this answer instead of the normal one."""
        if body is None:
            body = {"message": f"{status} scripted", "code": 0}
        self.scripted.setdefault((method, template), deque()).append(Scripted(status, body, headers))

    def rate_limit_next(self, method: str, template: str, retry_after: float) -> None:
        """A 429 as Discord sends it: JSON body with retry_after, headers, and a `Via` header."""
        self.fail_next(
            method,
            template,
            429,
            {"message": "You are being rate limited.", "retry_after": retry_after, "global": False},
            **{
                "Retry-After": str(retry_after),
                "X-RateLimit-Limit": "5",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset-After": str(retry_after),
                "X-RateLimit-Bucket": "fakebucket",
                "Via": "1.1 google",
            },
        )

    def sent(self, method: str | None = None, template: str | None = None) -> list[Recorded]:
        return [
            r
            for r in self.requests
            if (method is None or r.method == method) and (template is None or r.template == template)
        ]

    def stats(self) -> dict[str, Any]:
        """What the fake saw (served as `GET /__stats`); times are `clock()` readings."""
        return {
            "requests": len(self.requests),
            "rate_limited": self.global_429s,
            "posts_per_channel": {c: len(m) for c, m in self.channel_messages.items()},
            "first_post": min(self.post_times, default=None),
            "last_post": max(self.post_times, default=None),
            "rate_limited_at": self.global_429_times,
            "post_times": self.post_times,
            "violations": self.violations,
        }

    async def _stats(self, request: web.Request) -> web.Response:
        return self._json(self.stats())

    def callback_for(self, interaction_id: str) -> asyncio.Future[Recorded]:
        """Resolves with the (first successful) callback request of one interaction."""
        if interaction_id not in self._callbacks:
            self._callbacks[interaction_id] = asyncio.get_running_loop().create_future()
        return self._callbacks[interaction_id]

    async def wait_for(self, count: int, method: str, template: str, timeout: float = 5.0) -> list[Recorded]:
        """Wait until `count` requests of this kind have arrived (and been answered)."""

        def ready() -> bool:
            return len([r for r in self.sent(method, template) if r.status]) >= count

        async with self._arrived:
            await asyncio.wait_for(self._arrived.wait_for(ready), timeout)
        return self.sent(method, template)

    # ---------------------------------------------------------------- the handler

    async def _handle(self, request: web.Request) -> web.Response:
        received_at = time.perf_counter()
        path = request.path.removeprefix("/api/v10")
        raw = await request.read()
        body: Any = None
        if raw:
            if request.content_type != "application/json":
                self.violations.append(f"{request.method} {path}: body sent as {request.content_type}")
            try:
                body = json.loads(raw)
            except ValueError:
                self.violations.append(f"{request.method} {path}: body is not JSON")
        op = self.validator.operation(request.method, path)
        template = op.template if op else ""
        record = Recorded(request.method, path, template, dict(request.query), body, received_at)
        self.requests.append(record)
        if not request.headers.get("Authorization", "").startswith("Bot ") and not path.startswith(
            ("/interactions/", "/webhooks/")
        ):
            self.violations.append(f"{request.method} {path}: no bot Authorization header")
        if not self.validate_later:
            self._check(record)
        response = self._answer(request, template, path, body)
        record.status = response.status
        if template == CALLBACK and 200 <= response.status < 300:
            future = self.callback_for(path.split("/")[2])
            if not future.done():
                future.set_result(record)
        async with self._arrived:
            self._arrived.notify_all()
        return response

    def _check(self, record: Recorded) -> None:
        problem = self.validator.validate(record.method, record.path, record.body)
        if problem:
            self.violations.append(problem)
        self.violations.extend(check_message_body(record.method, record.template, record.body))

    def validate_recorded(self) -> list[str]:
        """Validate every recorded request (for `validate_later`); returns the violations."""
        for record in self.requests:
            self._check(record)
        return self.violations

    def _json(self, data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
        # content_type exactly "application/json": a charset suffix makes discord.py read text
        resp = web.Response(status=status, body=json.dumps(data).encode(), headers=headers or {})
        resp.headers["Content-Type"] = "application/json"
        return resp

    def _over_global_limit(self) -> float | None:
        """Seconds to wait when this request is beyond the global limit, else None (and counted)."""
        if self.global_limit is None:
            return None
        now = self.clock()
        second = math.floor(now)

        def expired(allowed_at: float) -> bool:
            return now - allowed_at >= 1.0 if self.rolling_window else allowed_at < second

        while self._allowed and expired(self._allowed[0]):
            self._allowed.popleft()
        if len(self._allowed) < self.global_limit:
            self._allowed.append(now)
            return None
        frees_at = self._allowed[0] + 1.0 if self.rolling_window else second + 1.0
        return max(0.001, round(frees_at - now, 3))

    def _answer(self, request: web.Request, template: str, path: str, body: Any) -> web.Response:
        wait = self._over_global_limit()
        if wait is not None:
            self.global_429s += 1
            self.global_429_times.append(self.clock())
            headers = {"Retry-After": str(wait), "X-RateLimit-Global": "true", "X-RateLimit-Scope": "global"}
            body = {"message": "You are being rate limited.", "retry_after": wait, "global": True}
            return self._json(body, 429, {**headers, "Via": "1.1 google"})
        queue = self.scripted.get((request.method, template))
        if queue:
            scripted = queue.popleft()
            return self._json(scripted.body, scripted.status, scripted.headers)
        parts = path.strip("/").split("/")
        match (request.method, template):
            case ("GET", "/users/@me"):
                return self._json(bot_user())
            case ("GET", "/gateway/bot"):
                return self._json(
                    {
                        "url": f"ws://127.0.0.1:{self._port}/gateway",
                        "shards": 1,
                        "session_start_limit": {
                            "total": 1000,
                            "remaining": 999,
                            "reset_after": 0,
                            "max_concurrency": 1,
                        },
                    }
                )
            case ("GET", "/oauth2/applications/@me"):
                return self._json(self._application())
            case ("PUT", "/applications/{application_id}/commands"):
                return self._json(self._store_commands("global", body))
            case ("PUT", "/applications/{application_id}/guilds/{guild_id}/commands"):
                return self._json(self._store_commands(parts[3], body))
            case ("POST", "/interactions/{interaction_id}/{interaction_token}/callback"):
                return self._callback(request, parts[1], body)
            case ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/@original"):
                return self._edit_original(parts[2], body)
            case ("DELETE", "/webhooks/{webhook_id}/{webhook_token}/messages/@original"):
                return web.Response(status=204)
            case ("POST", "/webhooks/{webhook_id}/{webhook_token}"):
                return self._json(self._new_message(f"followup:{parts[2]}", body, message_type=20))
            case ("POST", "/channels/{channel_id}/messages"):
                return self._channel_message(parts[1], body)
        return self._json({"message": "404: Not Found", "code": 0}, 404)

    # ---------------------------------------------------------------- gateway

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        """HELLO, then READY after IDENTIFY; heartbeats are acknowledged."""
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": 45000}, "s": None, "t": None})
        async for frame in ws:
            message = json.loads(frame.data)
            if message["op"] == 2:
                self.identify = message["d"]
                self._sequence += 1
                ready = {
                    "v": 10,
                    "user": bot_user(),
                    "guilds": [],
                    "session_id": "fake-session",
                    "resume_gateway_url": f"ws://127.0.0.1:{self._port}/gateway",
                    "application": {"id": APPLICATION_ID, "flags": 0},
                    "shard": [0, 1],
                }
                await ws.send_json({"op": 0, "t": "READY", "s": self._sequence, "d": ready})
                self.gateway_ready.set()
            elif message["op"] == 1:
                await ws.send_json({"op": 11})
        return ws

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a gateway event (e.g. INTERACTION_CREATE) to every connected client."""
        self._sequence += 1
        for ws in self._sockets:
            if not ws.closed:
                await ws.send_json({"op": 0, "t": event, "s": self._sequence, "d": data})

    # ---------------------------------------------------------------- behaviours

    def _application(self) -> dict[str, Any]:
        return {
            "id": APPLICATION_ID,
            "name": "briefbot",
            "icon": None,
            "description": "news briefings",
            "bot_public": True,
            "bot_require_code_grant": False,
            "owner": {**bot_user(), "id": "1100000000000000099", "username": "owner", "bot": False},
            "verify_key": "0" * 64,
            "flags": 0,
            "team": None,
            "summary": "",
            "rpc_origins": [],
        }

    def _store_commands(self, scope: str, body: Any) -> list[dict[str, Any]]:
        stored = []
        for command in body or []:
            stored.append(
                {
                    "id": snowflake(),
                    "application_id": APPLICATION_ID,
                    "version": snowflake(),
                    "type": 1,
                    "default_member_permissions": None,
                    **({"guild_id": scope} if scope != "global" else {}),
                    **command,
                }
            )
        self.commands[scope] = stored
        return stored

    def _message(self, channel_id: str, body: dict[str, Any], message_type: int = 0) -> dict[str, Any]:
        return {
            "id": snowflake(),
            "channel_id": channel_id,
            "type": message_type,
            "content": body.get("content") or "",
            "author": bot_user(),
            "attachments": [],
            "embeds": body.get("embeds") or [],
            "components": body.get("components") or [],
            "mentions": [],
            "mention_roles": [],
            "mention_everyone": False,
            "pinned": False,
            "tts": False,
            "timestamp": dt.datetime.now(dt.UTC).isoformat(),
            "edited_timestamp": None,
            "flags": body.get("flags") or 0,
            **({"nonce": body["nonce"]} if body.get("nonce") else {}),
        }

    def _new_message(self, key: str, body: dict[str, Any], message_type: int = 0) -> dict[str, Any]:
        message = self._message("1200000000000000002", body or {}, message_type)
        self.messages[message["id"]] = message
        self.messages[key] = message
        return message

    def _callback(self, request: web.Request, interaction_id: str, body: dict[str, Any]) -> web.Response:
        if request.query.get("with_response") not in ("1", "true"):
            return web.Response(status=204)
        kind = body.get("type")
        data = body.get("data") or {}
        interaction: dict[str, Any] = {"id": interaction_id, "type": 2}
        resource: dict[str, Any] = {"type": kind}
        if kind in (4, 5, 7):
            message = self._new_message(f"original:{interaction_id}", data, message_type=20)
            if kind == 5:
                message["flags"] = data.get("flags", 0) | 128  # loading
            interaction.update(
                response_message_id=message["id"],
                response_message_loading=kind == 5,
                response_message_ephemeral=bool(data.get("flags", 0) & 64),
            )
            resource["message"] = message
        return self._json({"interaction": interaction, "resource": resource})

    def _edit_original(self, token: str, body: dict[str, Any]) -> web.Response:
        message = self._message("1200000000000000002", body or {}, message_type=20)
        self.messages[f"edit:{token}"] = message
        return self._json(message)

    def _channel_message(self, channel_id: str, body: dict[str, Any]) -> web.Response:
        if channel_id in self.gone_channels:
            return self._json({"message": "Unknown Channel", "code": 10003}, 404)
        if channel_id in self.forbidden_channels:
            return self._json({"message": "Missing Access", "code": 50001}, 403)
        nonce = (body or {}).get("nonce")
        now = self.clock()
        if nonce and body.get("enforce_nonce") and (channel_id, str(nonce)) in self.nonces:
            first_at, message_id = self.nonces[(channel_id, str(nonce))]
            if now - first_at <= self.nonce_window_s:
                return self._json(self.messages[message_id])  # the first message, nothing new created
        message = self._message(channel_id, body or {})
        self.messages[message["id"]] = message
        self.channel_messages.setdefault(channel_id, []).append(message)
        self.post_times.append(now)
        if nonce:
            self.nonces[(channel_id, str(nonce))] = (now, message["id"])
        return self._json(message)


async def serve_forever(port: int, global_limit: int) -> None:
    """Run the fake alone (Discord's global limit over any one-second span); print its port."""
    fake = FakeDiscord(global_limit=global_limit, rolling_window=True)
    await fake.start(port)
    print(f"PORT {fake.port}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await fake.close()


def main() -> None:
    parser = argparse.ArgumentParser(description="A fake of Discord's REST API on 127.0.0.1.")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--limit", type=int, default=GLOBAL_LIMIT_PER_SECOND, help="global requests per second")
    args = parser.parse_args()
    asyncio.run(serve_forever(args.port, args.limit))


if __name__ == "__main__":
    main()
