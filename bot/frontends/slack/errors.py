"""Typed failures of delivering to Slack, for the scheduler to tell apart and act on.

`SlackDeliveryError` is the base; `permanent` says whether retrying the same post can ever
work (channel gone, bot removed) or whether a later retry may (rate limit, network).

They also keep the shape of the libraries' own errors, so code written against slack_sdk
works unchanged: every failure Slack answered is a `SlackApiError` carrying Slack's response
(`response["error"]`, `response.status_code`, the Retry-After header), and a network failure
is a `ConnectionError`.
"""

from __future__ import annotations

from slack_sdk.errors import SlackApiError
from slack_sdk.web.slack_response import SlackResponse


class SlackDeliveryError(Exception):
    """Posting to Slack failed; `code` is Slack's error code (or a short local one)."""

    permanent: bool = False

    def __init__(self, message: str, *, code: str = "", channel: str = "") -> None:
        Exception.__init__(self, message)  # not super(): SlackApiError's __init__ wants a response
        self.code = code
        self.channel = channel


class SlackRefused(SlackDeliveryError, SlackApiError):
    """Slack answered with an error; `response` is its answer, as on any SlackApiError."""

    def __init__(self, message: str, response: SlackResponse, *, code: str = "", channel: str = "") -> None:
        SlackDeliveryError.__init__(self, message, code=code, channel=channel)
        self.message = message
        self.response = response

    def __str__(self) -> str:
        return str(self.message)


class SlackChannelGone(SlackRefused):
    """The channel no longer exists or is archived (channel_not_found, is_archived)."""

    permanent = True


class SlackNotInChannel(SlackRefused):
    """The bot is not a member of the channel and cannot join it (private channel, removed)."""

    permanent = True


class SlackAuthError(SlackRefused):
    """The token is invalid, revoked or lacks a scope (invalid_auth, missing_scope...)."""

    permanent = True


class SlackRateLimited(SlackRefused):
    """Slack answered 429 `ratelimited`; `retry_after` is its Retry-After header in seconds."""

    def __init__(self, message: str, response: SlackResponse, *, retry_after: float, channel: str = "") -> None:
        super().__init__(message, response, code="ratelimited", channel=channel)
        self.retry_after = retry_after


class SlackNetworkError(SlackDeliveryError, ConnectionError):
    """Slack could not be reached (connection refused, timeout, DNS)."""


class SlackConfigError(SlackDeliveryError):
    """The settings cannot start the Slack app (no signing secret for HTTP mode, ...)."""

    permanent = True
