"""Deliverers for Discord and Slack: the front ends' clients seen through the `Deliverer` protocol.

The Discord front end offers `post_digest(channel_id, answer, nonce)` (a discord.py message
create with `nonce` and `enforce_nonce`), the Slack front end `post_digest(channel, answer,
marker)` (which looks for the marker in the channel's recent history before posting); both
raise their own typed errors, and a client may also let the library's exceptions through. These
adapters pass the scheduler's idempotency key as that nonce / marker, translate each library's
exceptions into the scheduler's typed errors, and pace Discord posts under the global limit.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import weakref
from types import SimpleNamespace
from typing import Any, Protocol

import aiohttp
import discord
import discord.http
from aiolimiter import AsyncLimiter
from discord.utils import MISSING
from slack_sdk.errors import SlackApiError

from bot.core.models import Answer
from bot.core.subscriptions import Subscription
from bot.schedule.deliver import ChannelGone, Deliverer, DeliveryError, Forbidden, NetworkError, RateLimited

# Discord answers a repeated nonce with the first message only "in the past few minutes"
# (API docs on enforce_nonce); past this, the scheduler does not resend a slot that may be posted.
DISCORD_NONCE_WINDOW = dt.timedelta(minutes=2)
# Discord's global limit is 50 requests per second per bot. A leaky bucket of capacity C and
# rate R lets at most C + R requests start in any one second: 2 + 47 = 49, one to spare for
# network jitter. The small capacity lets a request that was woken late be caught up instead
# of lost from the rate; staying under the limit matters because one 429 stops every request
# of the bot for its retry_after (bench/digests.py: 3 + 47 met the odd 429, 2 + 47 none).
DISCORD_REQUESTS_PER_SECOND = 47.0
DISCORD_BURST = 2


class DiscordDigestClient(Protocol):
    async def post_digest(self, channel_id: str, answer: Answer, nonce: str) -> Any: ...


class SlackDigestClient(Protocol):
    async def post_digest(self, channel: str, answer: Answer, marker: str) -> Any: ...


log = logging.getLogger("bot.schedule")

# The front ends raise their own typed errors (bot/frontends/discord/client.py,
# bot/frontends/slack/errors.py). They are matched by class name along the MRO, so this module
# does not import a front end (and works whichever branch lands first).
_FRONTEND_ERRORS: dict[str, type[DeliveryError]] = {
    "ChannelGone": ChannelGone,
    "ChannelForbidden": Forbidden,
    "RateLimited": RateLimited,
    "DeliveryNetworkError": NetworkError,
    "DeliveryRejected": DeliveryError,
    "DeliveryError": DeliveryError,
    "SlackChannelGone": ChannelGone,
    "SlackNotInChannel": Forbidden,
    "SlackAuthError": Forbidden,
    "SlackRateLimited": RateLimited,
    "SlackNetworkError": NetworkError,
    "SlackDeliveryError": DeliveryError,
}


def _from_frontend(exc: BaseException) -> DeliveryError | None:
    """A front end's typed delivery error as the scheduler's, or None for anything else."""
    if not type(exc).__module__.startswith("bot.frontends."):
        return None
    for klass in type(exc).__mro__:
        target = _FRONTEND_ERRORS.get(klass.__name__)
        if target is None:
            continue
        detail = str(getattr(exc, "detail", "") or exc)[:200]
        if target is RateLimited:
            return RateLimited(float(getattr(exc, "retry_after", 5.0) or 5.0), detail)
        return target(detail)
    return None


def _message_id(result: Any) -> str:
    """A discord.Message, a Slack response or a bare id -> the id as text."""
    for attr in ("id", "ts"):
        value = getattr(result, attr, None)
        if value is not None:
            return str(value)
    if isinstance(result, dict):
        for key in ("id", "ts"):
            if result.get(key) is not None:
                return str(result[key])
    return str(result)


def _discord_detail(exc: discord.HTTPException) -> str:
    return f"{exc.status} {exc.code} {exc.text}".strip()[:200]


class DiscordPacer:
    """Paces the bot's message creations (POST /channels/{id}/messages) under the global limit.

    It works per HTTP request, inside discord.py's aiohttp session (a trace config, awaited
    before each request is sent, retries included), because one digest may take several
    messages. Interaction responses are not paced: they are exempt from the global limit, and
    a command's answer must never queue behind a burst of digests.
    """

    def __init__(
        self,
        *,
        requests_per_second: float = DISCORD_REQUESTS_PER_SECOND,
        burst: int = DISCORD_BURST,
        limiter: AsyncLimiter | None = None,
    ) -> None:
        self.limiter = limiter or AsyncLimiter(burst, burst / requests_per_second)

    async def _on_request_start(
        self, session: aiohttp.ClientSession, context: SimpleNamespace, params: aiohttp.TraceRequestStartParams
    ) -> None:
        if params.method == "POST" and _MESSAGE_CREATE.search(params.url.path):
            await self.limiter.acquire()

    def install(self, http: discord.http.HTTPClient) -> None:
        """Pace this discord.py HTTP client; call it before the client logs in."""
        if getattr(http, "_HTTPClient__session", MISSING) is not MISSING:
            raise RuntimeError("install the pacing before the Discord client logs in (its session takes it then)")
        if http.http_trace is None:
            http.http_trace = aiohttp.TraceConfig()
        http.http_trace.on_request_start.append(self._on_request_start)
        _PACED[http] = self


class DiscordDeliverer:
    """Posts digests through the Discord front end's client (pace its HTTP with `DiscordPacer`)."""

    dedupe_window: dt.timedelta | None = DISCORD_NONCE_WINDOW

    def __init__(self, client: DiscordDigestClient) -> None:
        self._client = client

    async def post_digest(self, sub: Subscription, answer: Answer, idempotency_key: str) -> str:
        if not sub.channel.isdigit():
            raise ChannelGone(f"{sub.channel[:40]!r} is not a Discord channel id")
        try:
            result = await self._client.post_digest(sub.channel, answer, idempotency_key)
        except DeliveryError:
            raise
        except discord.NotFound as exc:
            raise ChannelGone(_discord_detail(exc)) from exc
        except discord.Forbidden as exc:
            raise Forbidden(_discord_detail(exc)) from exc
        except discord.RateLimited as exc:  # only when retry_after passes max_ratelimit_timeout
            raise RateLimited(exc.retry_after) from exc
        except discord.DiscordServerError as exc:
            raise NetworkError(_discord_detail(exc)) from exc
        except discord.HTTPException as exc:
            if exc.status == 429:  # discord.py gave up after its own retries
                raise RateLimited(5.0, _discord_detail(exc)) from exc
            raise DeliveryError(_discord_detail(exc)) from exc
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise NetworkError(f"{type(exc).__name__}: {exc}"[:200]) from exc
        except Exception as exc:
            mapped = _from_frontend(exc)
            if mapped is None:
                raise
            raise mapped from exc
        return _message_id(result)


_SLACK_GONE = {"channel_not_found", "is_archived", "account_inactive", "team_access_not_granted"}
_SLACK_FORBIDDEN = {
    "not_in_channel",
    "missing_scope",
    "restricted_action",
    "restricted_action_read_only_channel",
    "restricted_action_thread_only_channel",
    "no_permission",
    "not_authed",
    "invalid_auth",
    "token_revoked",
    "ekm_access_denied",
}


class SlackDeliverer:
    """Posts digests through the Slack front end's client (which checks history for the marker)."""

    dedupe_window: dt.timedelta | None = None  # the marker is looked up in history, at any delay

    def __init__(self, client: SlackDigestClient) -> None:
        self._client = client

    async def post_digest(self, sub: Subscription, answer: Answer, idempotency_key: str) -> str:
        try:
            result = await self._client.post_digest(sub.channel, answer, idempotency_key)
        except DeliveryError:
            raise
        except SlackApiError as exc:
            raise _slack_error(exc) from exc
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise NetworkError(f"{type(exc).__name__}: {exc}"[:200]) from exc
        except Exception as exc:
            mapped = _from_frontend(exc)
            if mapped is None:
                raise
            raise mapped from exc
        return _message_id(result)


def _slack_error(exc: SlackApiError) -> DeliveryError:
    response = exc.response
    status = getattr(response, "status_code", None)
    code = str(response.get("error", "") or "") if hasattr(response, "get") else ""
    if code == "ratelimited" or status == 429:
        headers = getattr(response, "headers", {}) or {}
        retry_after = headers.get("Retry-After") or headers.get("retry-after") or 1
        try:
            seconds = float(retry_after)
        except (TypeError, ValueError):
            seconds = 1.0
        return RateLimited(seconds, code or "HTTP 429")
    if code in _SLACK_GONE:
        return ChannelGone(code)
    if code in _SLACK_FORBIDDEN:
        return Forbidden(code)
    if status is not None and status >= 500:
        return NetworkError(f"HTTP {status} {code}".strip())
    return DeliveryError(code or f"HTTP {status}")


_MESSAGE_CREATE = re.compile(r"/channels/\d+/messages$")
_PACED: weakref.WeakKeyDictionary[discord.http.HTTPClient, DiscordPacer] = weakref.WeakKeyDictionary()


def deliverers_for(
    *,
    discord_client: DiscordDigestClient | None = None,
    slack_client: SlackDigestClient | None = None,
    console: Deliverer | None = None,
) -> dict[str, Deliverer]:
    """The scheduler's deliverers for the front ends running in this process (runner's helper).

    Call it before the Discord front end logs in: its HTTP client gets the digest pacing then.
    """
    deliverers: dict[str, Deliverer] = {}
    if discord_client is not None:
        http = getattr(getattr(discord_client, "client", None), "http", None)  # DiscordFrontend.client.http
        if isinstance(http, discord.http.HTTPClient) and http not in _PACED:
            try:
                DiscordPacer().install(http)
            except RuntimeError as exc:
                log.warning("Discord digests go unpaced (%s); a burst may meet 429s", exc)
        deliverers["discord"] = DiscordDeliverer(discord_client)
    if slack_client is not None:
        deliverers["slack"] = SlackDeliverer(slack_client)
    if console is not None:
        deliverers["console"] = console
    return deliverers
