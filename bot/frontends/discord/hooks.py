"""The few discord.py internals briefbot relies on, wrapped in one place.

discord.py (pinned to 2.7.1 in pyproject) has no public API for two things we need:

* sending REST calls to a base other than discord.com (``DISCORD_API_BASE``: REST proxies in
  production, the fake Discord API in tests): the class attribute ``discord.http.Route.BASE``;
* connecting the gateway elsewhere than wss://gateway.discord.gg (only the tests do, to run
  `briefbot run` against the fake's gateway): ``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY``;
* feeding an INTERACTION_CREATE payload into the client without a gateway connection (tests and
  the benchmark): ``client._connection.parse_interaction_create(payload)``, the very function the
  gateway calls, so the command tree, views and responses run their real code paths;
* the role ids of the member who interacted, as Discord sent them in the interaction
  (``Member._roles``): ``Member.roles`` resolves them through the guild cache, which a bot with
  only the guilds intent may not hold for every role, and the editor check must not depend on it.

`missing_hooks()` lists the internals that are gone; tests/frontends/discord/test_hooks.py fails
loudly when an upgrade of discord.py removes one of them.
"""

from __future__ import annotations

from typing import Any

import discord
import discord.gateway
import discord.http

API_VERSION = 10
DISCORD_BASE = f"https://discord.com/api/v{API_VERSION}"


def normalise_api_base(value: str) -> str:
    """`http://host:port` or `http://host:port/api/v10` -> the base discord.py prefixes to paths."""
    base = value.strip().rstrip("/")
    if not base:
        return DISCORD_BASE
    if not base.startswith(("http://", "https://")):
        raise ValueError(f"DISCORD_API_BASE must start with http:// or https://, not {value[:40]!r}")
    if "/api/v" not in base:
        base = f"{base}/api/v{API_VERSION}"
    return base


def set_api_base(value: str) -> str:
    """Point every REST call of discord.py (bot and interaction webhooks) at `value`."""
    base = normalise_api_base(value)
    discord.http.Route.BASE = base
    return base


def api_base() -> str:
    return discord.http.Route.BASE


def set_gateway_url(url: str) -> str:
    """Connect the gateway websocket to `url`; returns the previous one (tests restore it)."""
    previous = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = type(previous)(url)  # a yarl.URL
    return str(previous)


def feed_interaction(client: discord.Client, payload: dict[str, Any]) -> None:
    """Hand an INTERACTION_CREATE payload to the client exactly as the gateway would."""
    client._connection.parse_interaction_create(payload)  # type: ignore[arg-type]


def member_role_ids(user: Any) -> frozenset[int]:
    """The role ids Discord sent for the member of an interaction (empty outside a server)."""
    roles = getattr(user, "_roles", None)
    if roles is None:
        return frozenset()
    return frozenset(int(r) for r in roles)


def quiet_voice_warnings() -> None:
    """briefbot never joins voice: skip discord.py's startup warnings about voice libraries."""
    voice = getattr(discord, "VoiceClient", None)
    for flag in ("warn_nacl", "warn_dave"):
        if voice is not None and hasattr(voice, flag):
            setattr(voice, flag, False)


def missing_hooks(client: discord.Client | None = None) -> list[str]:
    """Names of the internals above that this discord.py lacks (empty when all are present)."""
    missing: list[str] = []
    route = getattr(discord.http, "Route", None)
    if route is None or not isinstance(getattr(route, "BASE", None), str):
        missing.append("discord.http.Route.BASE")
    websocket = getattr(discord.gateway, "DiscordWebSocket", None)
    if websocket is None or not str(getattr(websocket, "DEFAULT_GATEWAY", "")).startswith("wss://"):
        missing.append("discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY")
    state_cls = getattr(discord.state, "ConnectionState", None)
    if state_cls is None or not callable(getattr(state_cls, "parse_interaction_create", None)):
        missing.append("discord.state.ConnectionState.parse_interaction_create")
    member_slots = getattr(discord.Member, "__slots__", ())
    if "_roles" not in member_slots:
        missing.append("discord.Member._roles")
    if client is not None and not callable(
        getattr(getattr(client, "_connection", None), "parse_interaction_create", None)
    ):
        missing.append("discord.Client._connection.parse_interaction_create")
    return missing
