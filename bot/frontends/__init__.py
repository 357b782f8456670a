"""Front ends: console, Discord, Slack. Each parses a command, calls a query, renders, sends."""
