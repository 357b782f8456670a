"""The Discord front end: slash commands through discord.py, answers rendered as embeds.

`client.DiscordFrontend` is what the runner starts and the scheduler posts digests through;
`slash` defines the application commands; `paging` the page buttons; `hooks` wraps the few
discord.py internals used (REST base override, feeding interactions without a gateway).
"""
