"""Pacing the bot's message creations on Discord under its global limit of 50 requests a second.

Discord's global limit is 50 requests per second per bot. A leaky bucket of capacity C and
rate R lets at most C + R requests start in any one second: 2 + 47 = 49, one to spare for
network jitter. The small capacity lets a request that was woken late be caught up instead of
lost from the rate; staying under the limit matters because one 429 stops every request of the
bot for its retry_after (bench/digests.py: 3 + 47 met the odd 429, 2 + 47 none).
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import aiohttp
import discord.http
from aiolimiter import AsyncLimiter
from discord.utils import MISSING

DISCORD_REQUESTS_PER_SECOND = 47.0
DISCORD_BURST = 2
_MESSAGE_CREATE = re.compile(r"/channels/\d+/messages$")


class DiscordPacer:
    """Paces message creations (POST /channels/{id}/messages) under the global limit.

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
