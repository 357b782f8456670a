"""Slack front end (slack-bolt): the `/briefbot` slash command and daily digest posts."""

from bot.frontends.slack.frontend import SlackFrontend, slack_configured

__all__ = ["SlackFrontend", "slack_configured"]
