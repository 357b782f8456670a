"""Slack front end (slack-bolt): the `/briefbot` slash command and daily digest posts."""

from bot.frontends.slack.errors import (
    SlackAuthError,
    SlackChannelGone,
    SlackDeliveryError,
    SlackNetworkError,
    SlackNotInChannel,
    SlackRateLimited,
)
from bot.frontends.slack.frontend import SlackFrontend, slack_configured

__all__ = [
    "SlackAuthError",
    "SlackChannelGone",
    "SlackDeliveryError",
    "SlackFrontend",
    "SlackNetworkError",
    "SlackNotInChannel",
    "SlackRateLimited",
    "slack_configured",
]
