"""The Slack front end: a slack-bolt AsyncApp with one `/briefbot` command, and digest posting.

Owns the Slack side of briefbot: the Bolt app and its transport (Socket Mode with an app-level
token, or HTTP with the signing secret on a port), the `/briefbot` slash command (parsed by the
shared `bot.commands` parser, answered by the shared query layer, rendered by
`bot.render.slack_blocks`), the review cards' controls (block_actions), the permission checks
(managers for subscriptions and feeds, editors for reviews), and `post_digest` and
`post_review_card` for the scheduler. Everything runs on the caller's asyncio loop and holds no global state, so it can
run beside the Discord front end in one process on one store.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
from typing import Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot import commands
from bot.context import Context
from bot.core.models import Answer, Notice, ReviewAnswer, UsageError
from bot.core.subscriptions import Subscription
from bot.delivery import ConfigError, DeliveryError, Forbidden, NetworkError, RateLimited
from bot.frontends.slack.errors import delivery_error
from bot.render.layout import CONTROL_PREFIX, parse_control
from bot.render.slack_blocks import SlackMessage, render_messages
from bot.settings import Settings

log = logging.getLogger("briefbot.slack")

COMMAND = "/briefbot"
EVENTS_PATH = "/slack/events"
DIGEST_EVENT = "briefbot_digest"  # message metadata type carrying the digest's marker
REVIEW_EVENT = "briefbot_review"  # ... and a review card's
STALE = "This control no longer works; run /briefbot review again."
HISTORY_PAGE = 200  # messages per page of history searched for a digest's marker
HISTORY_PAGES = 100  # at most 20,000 messages since the slot; beyond, the check cannot prove absence
HISTORY_MARGIN = dt.timedelta(hours=1)  # clocks differ: search from a little before the slot
SOCKET_CONNECT_TIMEOUT_S = 30.0
RESPONSE_URL_USES = 5  # Slack accepts at most five messages through one response_url
BODY_DEADLINE_S = 10.0  # a request body that has not arrived by then is not waited for
_GROUP_ID = re.compile(r"^S[A-Z0-9]{6,}$")


def slack_configured(settings: Settings) -> bool:
    """True when the settings hold enough to start the Slack app (bot token + a transport)."""
    return bool(settings.slack_bot_token) and bool(settings.slack_app_token or settings.slack_signing_secret)


def decode_command_text(text: str) -> str:
    """Slack sends command text with `&`, `<`, `>` as HTML entities; turn them back into characters."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def make_client(settings: Settings) -> AsyncWebClient:
    """The Web API client: bot token, `SLACK_API_BASE` when set; no automatic retries (the
    scheduler retries typed errors itself, and an interactive answer must not stall)."""
    base = settings.slack_api_base.strip() or AsyncWebClient.BASE_URL
    if not base.endswith("/"):
        base += "/"
    return AsyncWebClient(
        token=settings.slack_bot_token.get_secret_value() or None,
        base_url=base,
        logger=logging.getLogger("briefbot.slack.web"),
        retry_handlers=[],
        timeout=30,
    )


class SlackFrontend:
    """The Slack app: `await start()`, `await close()`, and `post_digest` for the scheduler.

    `ctx` is the shared core context (settings, db, gazetteer, speakers) from
    `bot.context.open_context`; `client` may be given to point at another Web API (tests).
    """

    platform = "slack"
    dedupe_window: dt.timedelta | None = None  # the marker is looked up in history, at any delay

    def __init__(
        self,
        ctx: Context,
        settings: Settings | None = None,
        *,
        client: AsyncWebClient | None = None,
    ) -> None:
        self.ctx = ctx
        self.settings: Settings = settings or ctx.settings
        self.client = client or make_client(self.settings)
        self.app = AsyncApp(
            client=self.client,
            signing_secret=self.settings.slack_signing_secret.get_secret_value(),
            logger=logging.getLogger("briefbot.slack.bolt"),
            process_before_response=False,
        )
        secret = self.settings.slack_signing_secret.get_secret_value()
        self._verifier = SignatureVerifier(secret) if secret else None  # HTTP mode needs it (start() says so)
        # Listeners from one table: the slash command, and every review control (its action id
        # starts with the control prefix; bot/render/layout.py has the grammar).
        self.app.command(COMMAND)(self._on_command)
        self.app.action(re.compile("^" + re.escape(CONTROL_PREFIX)))(self._on_review_action)
        self.app.error(self._on_error)
        self._socket: AsyncSocketModeHandler | None = None
        self._runner: web.AppRunner | None = None
        self._group_ids: dict[str, str] = {}  # user group handle -> id, looked up once
        self.port: int | None = None  # the bound port in HTTP mode
        self.team_id = ""
        self.bot_user_id = ""

    # ---------------------------------------------------------------- lifecycle

    @property
    def mode(self) -> str:
        return "socket" if self.settings.slack_app_token else "http"

    async def start(self) -> None:
        """Check the token, then connect (Socket Mode) or listen (HTTP); returns once ready.

        Raises bot.delivery's ConfigError / AuthError / NetworkError with a message an operator
        can act on (no traceback needed) when the settings or Slack refuse.
        """
        if self.mode == "http" and not self.settings.slack_signing_secret:
            raise ConfigError("SLACK_SIGNING_SECRET is needed for HTTP mode (or set SLACK_APP_TOKEN for Socket Mode)")
        try:
            auth = await self.client.auth_test()
        except (SlackApiError, aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise delivery_error(exc) from exc
        self.team_id = str(auth.get("team_id") or "")
        self.bot_user_id = str(auth.get("user_id") or "")
        if self.mode == "socket":
            app_token = self.settings.slack_app_token.get_secret_value()
            try:  # check the app token here: the Socket Mode client would retry a refusal for ever
                opened = await self.client.apps_connections_open(app_token=app_token)
            except (SlackApiError, aiohttp.ClientError, TimeoutError, OSError) as exc:
                raise delivery_error(exc) from exc
            self._socket = AsyncSocketModeHandler(self.app, app_token, web_client=self.client)
            self._socket.client.wss_uri = str(opened["url"])  # single use: the client asks anew on reconnect
            try:
                await asyncio.wait_for(self._socket.connect_async(), SOCKET_CONNECT_TIMEOUT_S)
            except TimeoutError as exc:
                await self._socket.close_async()
                self._socket = None
                raise NetworkError("cannot open the Socket Mode connection", code="network") from exc
            log.info("Slack: connected to workspace %s in Socket Mode", self.team_id)
            return
        web_app = web.Application()
        web_app.router.add_post(EVENTS_PATH, self._on_http)
        self._runner = web.AppRunner(web_app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host=self._http_host(), port=self.settings.slack_port)
        await site.start()
        server: Any = site._server  # aiohttp keeps the asyncio Server private; its sockets tell the bound port
        sockets = server.sockets if server is not None else ()
        self.port = sockets[0].getsockname()[1] if sockets else self.settings.slack_port
        log.info("Slack: listening for HTTP requests on port %s%s", self.port, EVENTS_PATH)

    def _http_host(self) -> str | None:
        # None: every interface (behind a reverse proxy); tests bind port 0 on loopback only.
        return "127.0.0.1" if self.settings.slack_port == 0 else None

    async def close(self) -> None:
        if self._socket is not None:
            await self._socket.close_async()
            self._socket = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        session = getattr(self.client, "session", None)
        if session is not None and not session.closed:
            await session.close()

    async def _on_http(self, request: web.Request) -> web.Response:
        """One request of Slack's: the body read within a deadline and its signature checked on the
        raw bytes before anything decodes it; a malformed request is answered 400/401 in one line."""
        try:
            body = await asyncio.wait_for(request.read(), BODY_DEADLINE_S)
        except TimeoutError:
            return web.Response(status=408, text="the request body did not arrive in time")
        except web.HTTPRequestEntityTooLarge:
            return web.Response(status=413, text="request body too large")
        timestamp = request.headers.get("X-Slack-Request-Timestamp")
        signature = request.headers.get("X-Slack-Signature")
        try:
            signed = self._verifier is not None and self._verifier.is_valid(body, timestamp, signature)
        except (ValueError, TypeError):  # a timestamp that is not a number, a body that is not UTF-8
            signed = False
        if not signed:
            return web.Response(status=401, text="invalid request signature")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return web.Response(status=400, text="the request body is not UTF-8")
        bolt_request = AsyncBoltRequest(body=text, query=request.query_string, headers=dict(request.headers))
        bolt_response = await self.app.async_dispatch(bolt_request)
        return await to_aiohttp_response(bolt_response)

    # ---------------------------------------------------------------- the slash command

    async def _on_error(self, error: Exception, body: dict, logger: logging.Logger) -> None:
        log.error("Slack: unhandled error %s", type(error).__name__, exc_info=error)

    async def _on_command(self, ack: AsyncAck, command: dict, respond: AsyncRespond) -> None:
        await ack()  # within Slack's 3 seconds, before any work
        try:
            answer = await self.answer(command)
        except Exception:
            log.exception("Slack: /briefbot failed")
            answer = Notice(commands.SORRY, ok=False)
        await self._respond(respond, answer)

    async def answer(self, command: dict) -> Answer:
        """The answer to one `/briefbot ...` payload: the shared parser and executor, with the
        caller's right to manage subscriptions asked of Slack only when the command needs it."""
        text = decode_command_text(str(command.get("text") or "")).strip()
        parsed = commands.parse(text or "help", self.platform)
        if isinstance(parsed, UsageError):
            return parsed
        user = str(command.get("user_id") or "")
        spec = commands.COMMANDS[parsed.name]
        try:
            can_manage = spec.manage and await self.may_manage_subscriptions(user)
            can_edit = spec.edit and await self.may_review(user)
        except DeliveryError as exc:
            log.warning("Slack: permission check failed: %s", exc)
            what = (
                "review drafts"
                if spec.edit
                else "follow feeds"
                if spec.name == "feeds"
                else "change this channel's digests"
            )
            return Notice(f"Could not check with Slack who may {what} ({exc.code}).", ok=False)
        if spec.manage and not can_manage:
            return commands.managers_only(self.platform, spec.name)
        caller = commands.Caller(
            platform=self.platform,
            workspace=str(command.get("team_id") or ""),
            channel=str(command.get("channel_id") or ""),
            user=user,
            can_manage=can_manage,
            can_edit=can_edit,
            name=f"{command.get('user_name') or user} (Slack {user})",
        )
        return await self.ctx.store.run(commands.execute, self.ctx, parsed, caller)

    async def _respond(self, respond: AsyncRespond, answer: Answer) -> None:
        # rendered on a reader thread (CPU work stays off the event loop)
        messages = await self.ctx.store.run(render_messages, answer, max_messages=RESPONSE_URL_USES)
        for message in messages:
            try:
                result = await respond(
                    text=message.text,
                    blocks=message.blocks,
                    response_type="ephemeral" if message.ephemeral else "in_channel",
                    replace_original=False,
                )
            except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                log.warning("Slack: response_url unreachable: %s", type(exc).__name__)
                return
            if result.status_code != 200:
                log.warning("Slack: response_url answered %s: %s", result.status_code, result.body[:200])
                return

    # ---------------------------------------------------------------- the review queue

    async def _on_review_action(self, ack: AsyncAck, body: dict, respond: AsyncRespond) -> None:
        """A review card's control (block_actions): acknowledged at once, the editor checked with
        Slack, the decision taken on the store's threads, the card replaced in place through its
        response_url (which works for cards in the review channel and for ephemeral ones)."""
        await ack()
        user = body.get("user") or {}
        user_id = str(user.get("id") or "")
        actions = body.get("actions") or [{}]
        action = actions[0]
        press = parse_control(str(action.get("action_id") or ""))
        try:
            allowed = await self.may_review(user_id)
        except DeliveryError as exc:
            log.warning("Slack: editor check failed: %s", exc)
            await self._tell(
                respond, Notice(f"Could not check with Slack who may review drafts ({exc.code}).", ok=False)
            )
            return
        if press is None or not allowed:
            await self._tell(respond, commands.editors_only(self.platform) if not allowed else Notice(STALE, ok=False))
            return
        changes = None
        if press.verb == "edit":
            value = str((action.get("selected_option") or {}).get("value") or "")
            if not value or not press.field:
                await self._tell(respond, Notice(STALE, ok=False))
                return
            changes = {press.field: value}
        name = str(user.get("username") or user.get("name") or user_id)
        caller = commands.Caller(
            platform=self.platform,
            workspace=str((body.get("team") or {}).get("id") or ""),
            channel=str((body.get("channel") or {}).get("id") or ""),
            user=user_id,
            can_manage=False,
            can_edit=True,
            name=f"{name} (Slack {user_id})",
        )
        try:
            answer: Answer = await self.ctx.store.run(
                commands.review_action, self.ctx, caller, press.key, press.verb, press.item, press.page, changes
            )
        except Exception:
            log.exception("Slack: review control failed")
            answer = Notice(commands.SORRY, ok=False)
        if not isinstance(answer, ReviewAnswer):
            await self._tell(respond, answer)
            return
        [card] = await self.ctx.store.run(render_messages, answer)
        try:
            await respond(text=card.text, blocks=card.blocks, replace_original=True)
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            log.warning("Slack: response_url unreachable: %s", type(exc).__name__)

    async def _tell(self, respond: AsyncRespond, answer: Answer) -> None:
        """A refusal or an error, to the presser only; the card stays as it was."""
        [message] = await self.ctx.store.run(render_messages, answer, max_messages=1)
        try:
            await respond(text=message.text, blocks=message.blocks, response_type="ephemeral", replace_original=False)
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            log.warning("Slack: response_url unreachable: %s", type(exc).__name__)

    async def may_review(self, user_id: str) -> bool:
        """Members of the editor group (SLACK_EDITOR_GROUP), else workspace admins and owners;
        asked of Slack on every action. Raises a bot.delivery error when Slack cannot tell."""
        if not user_id:
            return False
        group = self.settings.slack_editor_group.strip()
        try:
            if group:
                group_id = await self._group_id(group, "SLACK_EDITOR_GROUP")
                if not group_id:
                    return False
                members = await self.client.usergroups_users_list(usergroup=group_id)
                return user_id in (members.get("users") or [])
            return await self._is_admin(user_id)
        except (TimeoutError, SlackApiError, aiohttp.ClientError, OSError) as exc:
            raise delivery_error(exc) from exc

    @property
    def review_channel(self) -> str | None:
        """Where new drafts are posted for editors (SLACK_REVIEW_CHANNEL), or None."""
        return self.settings.slack_review_channel.strip() or None

    review_page_size = commands.REVIEW_PAGE_SIZE["slack"]

    async def post_review_card(self, channel: str, answer: Answer, key: str) -> str:
        """Post a draft's review card (bot.delivery.ReviewDeliverer); returns its ts. The card
        carries `key` in its metadata. Raises bot.delivery's errors."""
        [card] = await self.ctx.store.run(render_messages, answer)
        response = await self._call(
            "chat_postMessage",
            channel,
            text=card.text,
            blocks=card.blocks,
            metadata={"event_type": REVIEW_EVENT, "event_payload": {"marker": key}},
            unfurl_links=False,
            unfurl_media=False,
        )
        return str(response["ts"])

    # ---------------------------------------------------------------- subscriptions

    async def may_manage_subscriptions(self, user_id: str) -> bool:
        """Workspace admins and owners, or members of the subscriber group; asked of Slack each time.

        Raises a bot.delivery error when Slack cannot tell (missing scope, rate limit, network).
        """
        if not user_id:
            return False
        try:
            if await self._is_admin(user_id):
                return True
            group = await self._group_id(self.settings.slack_subscriber_group, "SLACK_SUBSCRIBER_GROUP")
            if not group:
                return False
            members = await self.client.usergroups_users_list(usergroup=group)
            return user_id in (members.get("users") or [])
        except (TimeoutError, SlackApiError, aiohttp.ClientError, OSError) as exc:
            raise delivery_error(exc) from exc

    async def _is_admin(self, user_id: str) -> bool:
        info = await self.client.users_info(user=user_id)
        user = info.get("user") or {}
        return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))

    async def _group_id(self, setting: str, env: str) -> str | None:
        """A user group given by handle, name or id -> its id (the list is asked once per name)."""
        name = setting.strip().lstrip("@")
        if not name:
            return None
        if _GROUP_ID.match(name):
            return name
        if name not in self._group_ids:
            groups = await self.client.usergroups_list()
            for group in groups.get("usergroups") or []:
                if name.lower() in (str(group.get("handle", "")).lower(), str(group.get("name", "")).lower()):
                    self._group_ids[name] = str(group["id"])
                    break
            else:
                log.warning("Slack: no user group named %r (%s)", name, env)
                return None
        return self._group_ids[name]

    # ---------------------------------------------------------------- the daily digest

    async def post_digest(
        self, sub: Subscription, answer: Answer, idempotency_key: str, *, slot_at: dt.datetime | None = None
    ) -> str:
        """The scheduler's call (bot.delivery.Deliverer): the digest to the subscription's channel."""
        return await self.post_to_channel(sub.channel, answer, idempotency_key, since=slot_at)

    async def post_to_channel(
        self, channel: str, answer: Answer, marker: str, *, since: dt.datetime | None = None
    ) -> str:
        """Post a digest to `channel` exactly once per `marker`; returns the first message's ts.

        Every message of the digest carries the marker (and its part number) in its metadata.
        When a message of the channel since `since` (the slot) already carries the marker (a retry
        after a crash or a timeout), nothing is posted again: only parts of a long digest missing
        from its thread are. The history is paged from `since` on, however busy the channel.
        Raises bot.delivery's errors (Slack's codes mapped in `errors.py`).
        """
        messages = await self.ctx.store.run(render_messages, answer)
        parts = len(messages)
        first_ts = await self.find_digest(channel, marker, since=since)
        posted: set[int] = set()
        if first_ts is None:
            first_ts = await self._post(channel, messages[0], marker, part=1, parts=parts)
        else:
            log.info("Slack: digest %s already in %s (ts %s); not posting it again", marker, channel, first_ts)
            if parts > 1:
                posted = await self._thread_parts(channel, first_ts, marker)
        for n, message in enumerate(messages[1:], start=2):
            if n not in posted:
                await self._post(channel, message, marker, part=n, parts=parts, thread_ts=first_ts)
        return first_ts

    async def find_digest(self, channel: str, marker: str, *, since: dt.datetime | None = None) -> str | None:
        """The ts of the message of `channel` carrying `marker`, searched through every page of
        history since `since` (else the latest page); joins a public channel if needed."""
        oldest = f"{(since - HISTORY_MARGIN).timestamp():.6f}" if since else None
        try:
            return await self._search_history(channel, marker, oldest)
        except Forbidden as refused:
            if refused.code != "not_in_channel":
                raise
            try:
                await self._call("conversations_join", channel)  # a public channel: join it (channels:join)
            except DeliveryError as exc:
                if isinstance(exc, RateLimited | NetworkError):
                    raise
                raise refused from exc  # a private channel: someone has to /invite the bot
            return await self._search_history(channel, marker, oldest)

    async def _search_history(self, channel: str, marker: str, oldest: str | None) -> str | None:
        cursor: str | None = None
        for _page in range(HISTORY_PAGES if oldest else 1):
            args: dict[str, Any] = {"limit": HISTORY_PAGE, "include_all_metadata": True}
            if oldest:
                args["oldest"] = oldest
            if cursor:
                args["cursor"] = cursor
            history = await self._call("conversations_history", channel, **args)
            for message in history.get("messages") or []:
                if _marker_part(message, marker) == 1:
                    return str(message["ts"])
            cursor = ((history.get("response_metadata") or {}).get("next_cursor") or "").strip() or None
            if not history.get("has_more") or not cursor:
                return None
        if oldest:
            raise DeliveryError(
                f"more than {HISTORY_PAGE * HISTORY_PAGES:,} messages since the slot: cannot check it was not posted"
            )
        return None

    async def _thread_parts(self, channel: str, ts: str, marker: str) -> set[int]:
        """The part numbers of `marker` already in the thread under `ts`."""
        replies = await self._call("conversations_replies", channel, ts=ts, limit=200, include_all_metadata=True)
        return {part for m in replies.get("messages") or [] if (part := _marker_part(m, marker)) is not None}

    async def _post(
        self, channel: str, message: SlackMessage, marker: str, *, part: int, parts: int, thread_ts: str | None = None
    ) -> str:
        response = await self._call(
            "chat_postMessage",
            channel,
            text=message.text,
            blocks=message.blocks,
            thread_ts=thread_ts,
            metadata={"event_type": DIGEST_EVENT, "event_payload": {"marker": marker, "part": part, "parts": parts}},
            unfurl_links=False,
            unfurl_media=False,
        )
        return str(response["ts"])

    async def _call(self, method: str, channel: str, **kwargs: Any) -> Any:
        try:
            return await getattr(self.client, method)(channel=channel, **kwargs)
        except (TimeoutError, SlackApiError, aiohttp.ClientError, OSError) as exc:
            raise delivery_error(exc, channel) from exc


def _marker_part(message: dict, marker: str) -> int | None:
    """The digest part number `message` carries for `marker`, or None."""
    metadata = message.get("metadata") or {}
    payload = metadata.get("event_payload") or {}
    if metadata.get("event_type") != DIGEST_EVENT or payload.get("marker") != marker:
        return None
    try:
        return int(payload.get("part", 1))
    except (TypeError, ValueError):
        return 1
