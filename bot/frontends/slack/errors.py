"""Slack's failures as bot.delivery's errors: every Slack error code is mapped here, once.

The scheduler and the front end act on the error's class (`permanent` or not, `RateLimited`'s
retry_after); `code` keeps Slack's own code (`not_in_channel`, `missing_scope`...) for the
messages shown to managers and for the front end's own recovery (joining a public channel).
"""

from __future__ import annotations

import aiohttp
from slack_sdk.errors import SlackApiError

from bot.delivery import AuthError, ChannelGone, DeliveryError, Forbidden, NetworkError, RateLimited, Rejected

CODES: dict[str, type[DeliveryError]] = {
    # the channel is gone for the bot
    "channel_not_found": ChannelGone,
    "is_archived": ChannelGone,
    "team_access_not_granted": ChannelGone,
    # the bot may not post there
    "not_in_channel": Forbidden,
    "method_not_supported_for_channel_type": Forbidden,
    "cant_invite_self": Forbidden,
    "restricted_action": Forbidden,
    "restricted_action_read_only_channel": Forbidden,
    "restricted_action_thread_only_channel": Forbidden,
    "no_permission": Forbidden,
    "ekm_access_denied": Forbidden,
    # the token or the app
    "invalid_auth": AuthError,
    "not_authed": AuthError,
    "account_inactive": AuthError,
    "token_revoked": AuthError,
    "token_expired": AuthError,
    "missing_scope": AuthError,
    "not_allowed_token_type": AuthError,
    # the message itself
    "msg_too_long": Rejected,
    "invalid_blocks": Rejected,
    "invalid_blocks_format": Rejected,
    "too_many_attachments": Rejected,
    "invalid_metadata_format": Rejected,
}


def _retry_after(headers: object) -> float:
    value = headers.get("Retry-After") or headers.get("retry-after") if hasattr(headers, "get") else None
    try:
        return max(float(value or 1), 0.0)
    except (TypeError, ValueError):
        return 1.0


def delivery_error(exc: BaseException, channel: str = "") -> DeliveryError:
    """A Web API failure (or a network one) as one of bot.delivery's errors."""
    if isinstance(exc, DeliveryError):
        return exc
    where = f" ({channel})" if channel else ""
    if isinstance(exc, SlackApiError):
        response = exc.response
        code = str(response.get("error", "") or "") if hasattr(response, "get") else ""
        status = getattr(response, "status_code", None)
        if status == 429 or code == "ratelimited":
            seconds = _retry_after(getattr(response, "headers", {}) or {})
            return RateLimited(seconds, f"Slack rate limit; retry after {seconds:g}s", code="ratelimited")
        kind = CODES.get(code)
        if kind is None:
            kind = NetworkError if status is not None and status >= 500 else DeliveryError
        return kind(f"Slack refused: {code or status}{where}", code=code)
    if isinstance(exc, aiohttp.ClientError | TimeoutError | OSError):
        return NetworkError(f"cannot reach Slack: {type(exc).__name__}", code="network")
    return DeliveryError(f"Slack call failed: {type(exc).__name__}")
