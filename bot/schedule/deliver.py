"""What a platform must offer the scheduler to post a digest, and the errors it may raise.

A `Deliverer` posts one rendered digest to one subscription's channel. The `idempotency_key`
is derived from (platform, workspace, channel, local date) only, so a retry of the same slot
carries the same key: Discord sends it as the message `nonce` with `enforce_nonce`, Slack looks
for it as a marker in the channel's recent history before posting again. A deliverer renders
the answer with its platform's renderer; it never touches the store.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import sys
from collections.abc import Callable
from typing import Protocol, TextIO, runtime_checkable

from bot.core.models import Answer
from bot.core.subscriptions import Subscription
from bot.render.text import render_text


class DeliveryError(Exception):
    """A digest could not be posted; `reason` is a short text a channel manager can act on."""

    reason = "delivery failed"

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail or self.reason)
        self.detail = detail

    def describe(self) -> str:
        return f"{self.reason}: {self.detail}" if self.detail else self.reason


class ChannelGone(DeliveryError):
    reason = "channel not found (deleted, or the bot was removed)"


class Forbidden(DeliveryError):
    reason = "missing permission to post in the channel"


class RateLimited(DeliveryError):
    reason = "rate limited by the platform"

    def __init__(self, retry_after: float, detail: str = "") -> None:
        super().__init__(detail or f"retry after {retry_after:.1f} s")
        self.retry_after = float(retry_after)


class NetworkError(DeliveryError):
    reason = "network error"


@runtime_checkable
class Deliverer(Protocol):
    """Posts digests for one platform.

    `dedupe_window` says for how long after a first attempt a retry with the same
    idempotency key is guaranteed not to post twice (None: for ever). The scheduler does not
    resend a slot whose earlier attempt may have reached the platform longer ago than that.
    """

    dedupe_window: dt.timedelta | None

    async def post_digest(self, sub: Subscription, answer: Answer, idempotency_key: str) -> str:
        """Post `answer` to the subscription's channel; return the platform's message id."""
        ...


def idempotency_key(platform: str, workspace: str, channel: str, local_date: dt.date) -> str:
    """A 25-character key fixed by the slot alone (Discord accepts nonces of up to 25 chars)."""
    raw = f"{platform}\x1f{workspace}\x1f{channel}\x1f{local_date.isoformat()}".encode()
    return "bb" + hashlib.blake2b(raw, digest_size=16).hexdigest()[:23]


class ConsoleDeliverer:
    """Prints each digest to a terminal stream, so the schedule runs locally with no token."""

    dedupe_window: dt.timedelta | None = None  # a print cannot be half-delivered across a crash

    def __init__(self, stream: TextIO | None = None, render: Callable[[Answer], str] | None = None) -> None:
        self._stream = stream
        self._render = render
        self._ids = itertools.count(1)

    async def post_digest(self, sub: Subscription, answer: Answer, idempotency_key: str) -> str:
        render = self._render or render_text  # the console's renderer, shared with the commands
        stream = self._stream or sys.stdout
        header = f"── daily digest for #{sub.channel} ({sub.local_time} {sub.timezone}) ──"
        stream.write(f"\n{header}\n{render(answer)}\n")
        stream.flush()
        return f"console-{idempotency_key}-{next(self._ids)}"
