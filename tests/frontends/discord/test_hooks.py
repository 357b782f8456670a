"""The discord.py internals briefbot wraps still exist (fails loudly after an incompatible upgrade)."""

from __future__ import annotations

import importlib.metadata

import discord
import discord.http
import pytest

from bot.frontends.discord import hooks


async def test_wrapped_internals_exist() -> None:
    client = discord.Client(intents=discord.Intents.none())
    assert hooks.missing_hooks(client) == []
    await client.close()


def test_discord_py_is_the_pinned_version() -> None:
    assert importlib.metadata.version("discord.py") == "2.7.1"


def test_set_api_base_points_routes_at_it() -> None:
    previous = discord.http.Route.BASE
    try:
        assert hooks.set_api_base("http://127.0.0.1:9/") == "http://127.0.0.1:9/api/v10"
        route = discord.http.Route("GET", "/users/@me")
        assert route.url == "http://127.0.0.1:9/api/v10/users/@me"
        assert hooks.set_api_base("https://proxy.example/api/v10") == "https://proxy.example/api/v10"
    finally:
        discord.http.Route.BASE = previous


def test_api_base_must_be_http() -> None:
    with pytest.raises(ValueError, match="DISCORD_API_BASE"):
        hooks.normalise_api_base("discord.com")
    assert hooks.normalise_api_base("") == hooks.DISCORD_BASE
