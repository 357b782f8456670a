"""Pacing the bot's message creations on Discord under its global limit of 50 requests a second.

Discord's global limit is 50 requests per second per bot. A leaky bucket of capacity C and
rate R lets at most C + R requests start in any one second: 2 + 47 = 49, one to spare for
network jitter. The small capacity lets a request that was woken late be caught up instead of
lost from the rate; staying under the limit matters because one 429 stops every request of the
bot for its retry_after (bench/digests.py: 3 + 47 met the odd 429, 2 + 47 none).

The front end takes a turn before each message it creates (a digest may take several).
Interaction answers are not paced: they are exempt from the global limit, and a command's
answer must never queue behind a burst of digests. (An earlier version paced inside
discord.py's HTTP session with an aiohttp trace; the trace cost every request, answers
included, a millisecond or two.)
"""

from __future__ import annotations

from typing import Protocol

from aiolimiter import AsyncLimiter

DISCORD_REQUESTS_PER_SECOND = 47.0
DISCORD_BURST = 2


class Limiter(Protocol):
    async def acquire(self) -> None: ...


class DiscordPacer:
    """Turns for message creations under the global limit."""

    def __init__(
        self,
        *,
        requests_per_second: float = DISCORD_REQUESTS_PER_SECOND,
        burst: int = DISCORD_BURST,
        limiter: Limiter | None = None,
    ) -> None:
        self.limiter: Limiter = limiter or AsyncLimiter(burst, burst / requests_per_second)

    async def turn(self) -> None:
        """Wait until one more message may be created."""
        await self.limiter.acquire()
