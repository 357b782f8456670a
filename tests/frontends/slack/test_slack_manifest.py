"""The shipped Slack app manifest: one slash command, Socket Mode, a scope for every call we make."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

import bot.frontends.slack.frontend as frontend

REPO = Path(__file__).resolve().parents[3]
# Slack's documented bot scope of each Web API method the front end calls (None: no scope needed).
METHOD_SCOPES = {
    "auth_test": None,
    "apps_connections_open": None,  # app-level token with connections:write, made in step 3 of docs/slack.md
    "users_info": "users:read",
    "usergroups_list": "usergroups:read",
    "usergroups_users_list": "usergroups:read",
    "conversations_history": "channels:history",
    "conversations_replies": "channels:history",
    "conversations_join": "channels:join",
    "chat_postMessage": "chat:write",
}


def load_manifest() -> dict:
    return yaml.safe_load((REPO / "slack" / "manifest.yaml").read_text())


def test_manifest_has_the_command_and_socket_mode():
    manifest = load_manifest()
    [command] = manifest["features"]["slash_commands"]
    assert command["command"] == frontend.COMMAND
    assert command["should_escape"] is False  # the app reads typed text; it never echoes it unescaped
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert "commands" in manifest["oauth_config"]["scopes"]["bot"]


def test_every_web_api_call_has_its_scope():
    source = Path(frontend.__file__).read_text()
    called = set(re.findall(r"self\.client\.(\w+)\(", source)) | set(re.findall(r'_call\(\s*"(\w+)"', source))
    assert called, "no Web API calls found: the pattern is stale"
    assert called <= set(METHOD_SCOPES), f"add the scope of {called - set(METHOD_SCOPES)} to this table"
    scopes = set(load_manifest()["oauth_config"]["scopes"]["bot"])
    needed = {METHOD_SCOPES[m] for m in called} - {None}
    assert needed <= scopes
    assert "groups:history" in scopes  # private channels the bot was invited to
