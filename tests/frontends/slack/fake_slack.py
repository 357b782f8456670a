"""A fake Slack on 127.0.0.1: Web API methods, response_url hooks and a Socket Mode WebSocket.

Small on purpose: it answers the methods briefbot uses the way Slack documents them (token
check, `ok`/`error` bodies, 429 with Retry-After), records every call, and lets a test script
failures. Waiting for something to arrive uses a condition variable, never a sleep.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web

BOT_TOKEN = "xoxb-test-token"
APP_TOKEN = "xapp-test-token"
TEAM = "T0TEAM"


@dataclass
class Call:
    method: str
    args: dict[str, Any]
    token: str


@dataclass
class Channel:
    id: str
    private: bool = False
    member: bool = True
    archived: bool = False
    messages: list[dict] = field(default_factory=list)  # newest last


class FakeSlack:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.responses: list[dict] = []  # bodies posted to response_url hooks
        self.acks: list[dict] = []  # Socket Mode acknowledgements
        self.channels: dict[str, Channel] = {"C0GENERAL": Channel("C0GENERAL")}
        self.users: dict[str, dict] = {
            "U0ADMIN": {"id": "U0ADMIN", "is_admin": True, "is_owner": False},
            "U0OWNER": {"id": "U0OWNER", "is_admin": False, "is_owner": True},
            "U0MEMBER": {"id": "U0MEMBER", "is_admin": False, "is_owner": False},
            "U0EDITOR": {"id": "U0EDITOR", "is_admin": False, "is_owner": False},
        }
        self.usergroups = [{"id": "S0EDITORS", "handle": "news-editors", "name": "News editors"}]
        self.group_members = {"S0EDITORS": ["U0EDITOR"]}
        self.failures: dict[str, list[tuple[int, int, dict, dict]]] = {}  # method -> (after, status, body, headers)
        self._ts = itertools.count(1)
        self.slow_methods: dict[str, float] = {}
        self._changed = asyncio.Condition()
        self._sockets: list[web.WebSocketResponse] = []
        self._runner: web.AppRunner | None = None
        self.base = ""

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self._api)
        app.router.add_post("/hooks/{hook}", self._hook)
        app.router.add_get("/socket", self._socket)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base = f"http://127.0.0.1:{port}"
        return self.base

    async def close(self) -> None:
        for ws in self._sockets:
            await ws.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_base(self) -> str:
        return f"{self.base}/api/"

    def response_url(self) -> str:
        return f"{self.base}/hooks/{uuid.uuid4().hex}"

    # ------------------------------------------------------------ helpers for tests

    def fail(self, method: str, status: int, error: str, headers: dict | None = None, *, after: int = 0) -> None:
        """A call of `method` (the next one, or the one after `after` more) fails with this HTTP
        status and Slack error code."""
        self.failures.setdefault(method, []).append((after, status, {"ok": False, "error": error}, headers or {}))

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        async def waiting() -> None:
            async with self._changed:
                await self._changed.wait_for(predicate)

        await asyncio.wait_for(waiting(), timeout)

    async def send_envelope(self, kind: str, payload: dict) -> str:
        """Push a Socket Mode envelope to the connected app; returns its envelope id."""
        await self.wait_for(lambda: bool(self._sockets))
        envelope_id = uuid.uuid4().hex
        envelope = {"envelope_id": envelope_id, "type": kind, "payload": payload, "accepts_response_payload": True}
        await self._sockets[-1].send_str(json.dumps(envelope))
        return envelope_id

    # ------------------------------------------------------------ Web API

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args: dict[str, Any] = dict(request.query)
        body = await request.read()
        if body:
            if request.content_type == "application/json":
                args.update(json.loads(body))
            else:
                args.update(parse_qsl(body.decode()))
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        token = token or str(args.pop("token", ""))
        self.calls.append(Call(method, args, token))
        await self._notify()
        if method in self.slow_methods:  # a platform that takes a moment to answer
            await asyncio.sleep(self.slow_methods[method])
        if self.failures.get(method):
            after, status, data, headers = self.failures[method][0]
            if after == 0:
                self.failures[method].pop(0)
                return web.json_response(data, status=status, headers=headers)
            self.failures[method][0] = (after - 1, status, data, headers)
        expected = APP_TOKEN if method == "apps.connections.open" else BOT_TOKEN
        if token != expected:
            return web.json_response({"ok": False, "error": "invalid_auth"})
        handler = getattr(self, "m_" + method.replace(".", "_"), None)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"}, status=404)
        result = handler(args)
        if isinstance(result, Error):
            return web.json_response(result.body)
        return web.json_response({"ok": True, **result})

    def m_auth_test(self, args: dict) -> dict:
        return {
            "url": "https://fake.slack.test/",
            "team": "Test",
            "user": "briefbot",
            "team_id": TEAM,
            "user_id": "U0BOT",
            "bot_id": "B0BOT",
        }

    def m_apps_connections_open(self, args: dict) -> dict:
        return {"url": self.base.replace("http://", "ws://") + "/socket"}

    def m_users_info(self, args: dict) -> dict | Error:
        user = self.users.get(str(args.get("user")))
        return {"user": user} if user else Error("user_not_found")

    def m_usergroups_list(self, args: dict) -> dict:
        return {"usergroups": self.usergroups}

    def m_usergroups_users_list(self, args: dict) -> dict | Error:
        group = str(args.get("usergroup"))
        return {"users": self.group_members[group]} if group in self.group_members else Error("no_such_subteam")

    def _channel(self, args: dict) -> Channel | Error:
        channel = self.channels.get(str(args.get("channel")))
        if channel is None:
            return Error("channel_not_found")
        if channel.archived:
            return Error("is_archived")
        return channel

    def m_conversations_history(self, args: dict) -> dict | Error:
        channel = self._channel(args)
        if isinstance(channel, Error):
            return channel
        if not channel.member:
            return Error("not_in_channel")
        limit = int(args.get("limit", 100))
        oldest = float(args.get("oldest") or 0)
        top = [
            m
            for m in reversed(channel.messages)
            if ("thread_ts" not in m or m["thread_ts"] == m["ts"]) and float(m["ts"]) > oldest
        ]
        start = int(args.get("cursor") or 0)  # Slack's cursors are opaque; an offset will do here
        page = top[start : start + limit]
        more = start + limit < len(top)
        return {
            "messages": page,
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def m_conversations_replies(self, args: dict) -> dict | Error:
        channel = self._channel(args)
        if isinstance(channel, Error):
            return channel
        ts = str(args.get("ts"))
        thread = [m for m in channel.messages if m["ts"] == ts or m.get("thread_ts") == ts]
        return {"messages": thread} if thread else Error("thread_not_found")

    def m_conversations_join(self, args: dict) -> dict | Error:
        channel = self._channel(args)
        if isinstance(channel, Error):
            return channel
        if channel.private:
            return Error("method_not_supported_for_channel_type")
        channel.member = True
        return {"channel": {"id": channel.id}}

    def m_chat_postMessage(self, args: dict) -> dict | Error:
        channel = self._channel(args)
        if isinstance(channel, Error):
            return channel
        if not channel.member and channel.private:
            return Error("not_in_channel")
        ts = f"{int(time.time())}.{next(self._ts):06d}"  # the (test-controlled) clock: `oldest` works
        blocks = args.get("blocks")
        message = {
            "type": "message",
            "ts": ts,
            "user": "U0BOT",
            "bot_id": "B0BOT",
            "text": args.get("text", ""),
            "blocks": json.loads(blocks) if isinstance(blocks, str) else blocks,
        }
        if args.get("thread_ts"):
            message["thread_ts"] = args["thread_ts"]
        metadata = args.get("metadata")
        if metadata:
            message["metadata"] = json.loads(metadata) if isinstance(metadata, str) else metadata
        channel.messages.append(message)
        return {"channel": channel.id, "ts": ts, "message": message}

    # ------------------------------------------------------------ response_url and Socket Mode

    async def _hook(self, request: web.Request) -> web.Response:
        self.responses.append(await request.json())
        await self._notify()
        return web.Response(text="ok")

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._sockets.append(ws)
        await ws.send_str(json.dumps({"type": "hello", "num_connections": 1}))
        await self._notify()
        async for msg in ws:
            if msg.type == WSMsgType.TEXT:
                self.acks.append(json.loads(msg.data))
                await self._notify()
        self._sockets.remove(ws)
        return ws


class Error:
    """A Slack error answer: HTTP 200 with ok=false, as the Web API does."""

    def __init__(self, code: str) -> None:
        self.body = {"ok": False, "error": code}
