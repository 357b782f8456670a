"""A fake of Discord's REST API on 127.0.0.1 (aiohttp), strict about what it is sent.

It answers the calls briefbot makes (login, command sync, interaction callbacks, follow-ups and
edits, channel messages) the way Discord does, with `Content-Type: application/json` exactly
(discord.py only parses JSON when the header is exactly that), and records every request. Every
request body is validated against Discord's OpenAPI description and against the message limits
and the no-ping rule; problems go to `violations`, which the test fixture asserts is empty.
Tests script failures (`fail_next`: 429 with retry-after, 500, 403, 404) per operation.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.frontends.discord.limits import CALLBACK, check_message_body
from tests.frontends.discord.openapi import SpecValidator, spec_validator

APPLICATION_ID = "1100000000000000001"
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
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.validator = validator or spec_validator()
        # global_limit: Discord's global rate limit (50 requests a second for a bot): requests
        # beyond it in one second get a global 429 with retry_after, as Discord answers them
        self.global_limit = global_limit
        self.clock = clock
        self.global_429s = 0
        self._window = (-1, 0)  # (second, requests in it)
        # validate_later: check bodies in `validate_recorded()` instead of while answering (the
        # benchmark, where the fake shares the event loop with the bot it measures)
        self.validate_later = validate_later
        self.requests: list[Recorded] = []
        self.violations: list[str] = []
        self.scripted: dict[tuple[str, str], deque[Scripted]] = {}
        self.messages: dict[str, dict[str, Any]] = {}
        self.commands: dict[str, list[dict[str, Any]]] = {}  # "global" or guild id -> definitions
        self.nonces: dict[tuple[str, str], str] = {}  # (channel, nonce) -> message id
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

    async def start(self) -> str:
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
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
        """Seconds to wait when this request is beyond the global limit, else None."""
        if self.global_limit is None:
            return None
        now = self.clock()
        second, count = self._window
        if int(now) != second:
            second, count = int(now), 0
        count += 1
        self._window = (second, count)
        if count <= self.global_limit:
            return None
        return round(second + 1 - now, 3) or 0.001

    def _answer(self, request: web.Request, template: str, path: str, body: Any) -> web.Response:
        wait = self._over_global_limit()
        if wait is not None:
            self.global_429s += 1
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
        if nonce and body.get("enforce_nonce") and (channel_id, nonce) in self.nonces:
            return self._json(self.messages[self.nonces[(channel_id, nonce)]])
        message = self._message(channel_id, body or {})
        self.messages[message["id"]] = message
        if nonce:
            self.nonces[(channel_id, nonce)] = message["id"]
        return self._json(message)
