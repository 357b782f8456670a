"""Renderers: answers (bot.core.models) -> text, Discord embeds, Slack Block Kit. Pure functions."""
