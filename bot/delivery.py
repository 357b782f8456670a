"""Delivering to a chat platform: the one error hierarchy, and what the scheduler needs of a front end.

Every front end raises these errors in its own terms (Discord's HTTP statuses in
`frontends/discord/client.py`, Slack's error codes in `frontends/slack/errors.py`: each mapped
in one place) and the scheduler acts on their class alone: `permanent` errors are not worth a
retry of the same post, `RateLimited` says when to retry.

A `Deliverer` posts one digest to one subscription's channel. The idempotency key is derived
from (platform, workspace, channel, local date) only, so a retry of the same slot carries the
same key: Discord sends it as the message `nonce` with `enforce_nonce`, Slack looks for it as a
marker in the channel's history before posting again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Protocol, runtime_checkable

from bot.core.models import Answer
from bot.core.subscriptions import Subscription


class DeliveryError(Exception):
    """A message could not be delivered; `reason` is a short text a channel manager can act on,
    `detail` what the platform said."""

    reason = "delivery failed"
    permanent = False  # True: retrying the same post cannot work until someone acts

    def __init__(self, detail: str = "", *, code: str = "") -> None:
        super().__init__(detail or self.reason)
        self.detail = detail
        self.code = code  # the platform's own error code, when it gave one

    def describe(self) -> str:
        return f"{self.reason}: {self.detail}" if self.detail else self.reason


class ChannelGone(DeliveryError):
    reason = "channel not found (deleted, archived, or the bot was removed)"
    permanent = True


class Forbidden(DeliveryError):
    reason = "missing permission to post in the channel"
    permanent = True


class AuthError(DeliveryError):
    reason = "the platform refused the bot's token or scopes"
    permanent = True


class RateLimited(DeliveryError):
    reason = "rate limited by the platform"

    def __init__(self, retry_after: float, detail: str = "", *, code: str = "") -> None:
        super().__init__(detail or f"retry after {retry_after:.1f} s", code=code)
        self.retry_after = float(retry_after)


class NetworkError(DeliveryError):
    reason = "network error"


class Rejected(DeliveryError):
    """The platform refused the message itself (a request it will refuse again)."""

    reason = "the platform refused the message"
    permanent = True


class ConfigError(DeliveryError):
    """The settings cannot start the front end (a missing secret, ...)."""

    reason = "the front end is not configured"
    permanent = True


@runtime_checkable
class Deliverer(Protocol):
    """Posts digests for one platform (each chat front end is one; the console is one too).

    `dedupe_window` says for how long after a first attempt a retry with the same
    idempotency key is guaranteed not to post twice (None: for ever). The scheduler does not
    resend a slot whose earlier attempt may have reached the platform longer ago than that.
    """

    dedupe_window: dt.timedelta | None

    async def post_digest(
        self, sub: Subscription, answer: Answer, idempotency_key: str, *, slot_at: dt.datetime | None = None
    ) -> str:
        """Post `answer` to the subscription's channel; return the platform's message id.
        `slot_at`: when the slot was due (a history check need look no earlier)."""
        ...


@runtime_checkable
class ReviewDeliverer(Protocol):
    """Posts machine drafts' review cards to its platform's review channel (None: not set)."""

    platform: str
    review_page_size: int

    @property
    def review_channel(self) -> str | None: ...

    async def post_review_card(self, channel: str, answer: Answer, key: str) -> str:
        """Post the card (`answer`: a ReviewAnswer) once per `key`; return its message id."""
        ...


def review_card_key(platform: str, channel: str, article_id: str) -> str:
    """A 25-character key fixed by (platform, channel, article): a retried card post repeats it."""
    raw = f"review\x1f{platform}\x1f{channel}\x1f{article_id}".encode()
    return "rv" + hashlib.blake2b(raw, digest_size=16).hexdigest()[:23]


def idempotency_key(platform: str, workspace: str, channel: str, local_date: dt.date) -> str:
    """A 25-character key fixed by the slot alone (Discord accepts nonces of up to 25 chars)."""
    raw = f"{platform}\x1f{workspace}\x1f{channel}\x1f{local_date.isoformat()}".encode()
    return "bb" + hashlib.blake2b(raw, digest_size=16).hexdigest()[:23]
