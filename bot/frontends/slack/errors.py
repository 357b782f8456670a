"""Typed failures of delivering to Slack, for the scheduler to tell apart and act on.

`SlackDeliveryError` is the base; `permanent` says whether retrying the same post can ever
work (channel gone, bot removed) or whether a later retry may (rate limit, network).
"""

from __future__ import annotations


class SlackDeliveryError(RuntimeError):
    """Posting to Slack failed; `code` is Slack's error code (or a short local one)."""

    permanent: bool = False

    def __init__(self, message: str, *, code: str = "", channel: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.channel = channel


class SlackChannelGone(SlackDeliveryError):
    """The channel no longer exists or is archived (channel_not_found, is_archived)."""

    permanent = True


class SlackNotInChannel(SlackDeliveryError):
    """The bot is not a member of the channel and cannot join it (private channel, removed)."""

    permanent = True


class SlackAuthError(SlackDeliveryError):
    """The token is invalid, revoked or lacks a scope (invalid_auth, missing_scope...)."""

    permanent = True


class SlackRateLimited(SlackDeliveryError):
    """Slack answered 429 `ratelimited`; `retry_after` is its Retry-After header in seconds."""

    def __init__(self, message: str, *, retry_after: float, code: str = "ratelimited", channel: str = "") -> None:
        super().__init__(message, code=code, channel=channel)
        self.retry_after = retry_after


class SlackNetworkError(SlackDeliveryError):
    """Slack could not be reached (connection refused, timeout, DNS)."""
