"""INTERACTION_CREATE payloads shaped like the ones Discord's gateway sends.

Slash commands (type 2), autocomplete (type 4) and button presses (type 3), from a member of a
guild with chosen permissions. `attachment_size_limit` is included: discord.py 2.6+ reads it.
"""

from __future__ import annotations

import itertools
from typing import Any

from tests.frontends.discord.fake_discord import APPLICATION_ID

GUILD_ID = "1000000000000000001"
CHANNEL_ID = "1200000000000000002"
USER_ID = "1000000000000000042"
MANAGE_GUILD = 1 << 5
MEMBER_PERMISSIONS = (1 << 10) | (1 << 11) | (1 << 14) | (1 << 31)  # view, send, embed, use app commands
MANAGER_PERMISSIONS = MEMBER_PERMISSIONS | MANAGE_GUILD
_ids = itertools.count(1400000000000000000)

# option type numbers of Discord's API
STRING, INTEGER, CHANNEL = 3, 4, 7


def _member(
    permissions: int, roles: tuple[str, ...] = (), user_id: str = USER_ID, username: str = "reader"
) -> dict[str, Any]:
    return {
        "user": {
            "id": user_id,
            "username": username,
            "discriminator": "0",
            "global_name": username.title(),
            "avatar": None,
            "public_flags": 0,
        },
        "roles": list(roles),
        "joined_at": "2024-01-01T00:00:00+00:00",
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "nick": None,
        "avatar": None,
        "permissions": str(permissions),
    }


def _base(kind: int, data: dict[str, Any], permissions: int) -> dict[str, Any]:
    interaction_id = str(next(_ids))
    return {
        "id": interaction_id,
        "application_id": APPLICATION_ID,
        "type": kind,
        "data": data,
        "guild_id": GUILD_ID,
        "guild": {"id": GUILD_ID, "locale": "en-US", "features": []},
        "channel_id": CHANNEL_ID,
        "channel": {
            "id": CHANNEL_ID,
            "type": 0,
            "guild_id": GUILD_ID,
            "name": "news",
            "position": 0,
            "permissions": str(permissions),
            "flags": 0,
            "nsfw": False,
            "parent_id": None,
            "topic": None,
            "last_message_id": None,
            "rate_limit_per_user": 0,
        },
        "member": _member(permissions),
        "token": f"tok-{interaction_id}",
        "version": 1,
        "app_permissions": str(MEMBER_PERMISSIONS),
        "locale": "en-US",
        "guild_locale": "en-US",
        "entitlements": [],
        "authorizing_integration_owners": {"0": GUILD_ID},
        "context": 0,
        "attachment_size_limit": 10 * 1024 * 1024,
    }


def _options(options: dict[str, Any], focused: str | None = None) -> list[dict[str, Any]]:
    out = []
    for name, value in options.items():
        kind = INTEGER if isinstance(value, int) else STRING
        if isinstance(value, ChannelRef):
            kind, value = CHANNEL, value.id
        option = {"name": name, "type": kind, "value": value}
        if name == focused:
            option["focused"] = True
        out.append(option)
    return out


class ChannelRef:
    """A channel given as a command option (resolved data included in the payload)."""

    def __init__(self, channel_id: str, name: str = "briefings") -> None:
        self.id = channel_id
        self.name = name


def slash(
    name: str,
    options: dict[str, Any] | None = None,
    *,
    permissions: int = MEMBER_PERMISSIONS,
    roles: tuple[str, ...] = (),
) -> dict[str, Any]:
    options = options or {}
    data: dict[str, Any] = {
        "id": str(next(_ids)),
        "name": name,
        "type": 1,
        "guild_id": GUILD_ID,
        "options": _options(options),
    }
    channels = {v.id: v for v in options.values() if isinstance(v, ChannelRef)}
    if channels:
        data["resolved"] = {
            "channels": {
                cid: {
                    "id": cid,
                    "name": ref.name,
                    "type": 0,
                    "permissions": str(permissions),
                    "guild_id": GUILD_ID,
                    "parent_id": None,
                    "flags": 0,
                }
                for cid, ref in channels.items()
            }
        }
    payload = _base(2, data, permissions)
    payload["member"] = _member(permissions, roles)
    return payload


def in_dm(payload: dict[str, Any]) -> dict[str, Any]:
    """The same interaction sent from a direct message with the bot: a user, no guild."""
    out = {k: v for k, v in payload.items() if k not in ("guild_id", "guild", "member", "guild_locale")}
    out["user"] = payload["member"]["user"]
    out["channel"] = {"id": "1500000000000000001", "type": 1, "recipients": [payload["member"]["user"]], "flags": 0}
    out["channel_id"] = out["channel"]["id"]
    out["context"] = 1
    out["authorizing_integration_owners"] = {"0": "0"}
    out["data"] = {k: v for k, v in payload["data"].items() if k != "guild_id"}
    return out


def autocomplete(name: str, options: dict[str, Any], focused: str) -> dict[str, Any]:
    data = {"id": str(next(_ids)), "name": name, "type": 1, "options": _options(options, focused)}
    return _base(4, data, MEMBER_PERMISSIONS)


EDITOR_ROLE = "1300000000000000077"


def button(
    custom_id: str,
    message: dict[str, Any],
    *,
    roles: tuple[str, ...] = (),
    user_id: str = USER_ID,
    username: str = "reader",
    permissions: int = MEMBER_PERMISSIONS,
) -> dict[str, Any]:
    """A press of the button `custom_id` on `message` (as the fake stored it), by a member with
    these role ids."""
    payload = _base(3, {"custom_id": custom_id, "component_type": 2}, permissions)
    payload["member"] = _member(permissions, roles, user_id, username)
    payload["message"] = message
    return payload


def select(
    custom_id: str,
    values: list[str],
    message: dict[str, Any],
    *,
    roles: tuple[str, ...] = (),
    user_id: str = USER_ID,
    username: str = "reader",
) -> dict[str, Any]:
    """A choice in the string select `custom_id` on `message`."""
    payload = _base(3, {"custom_id": custom_id, "component_type": 3, "values": values}, MEMBER_PERMISSIONS)
    payload["member"] = _member(MEMBER_PERMISSIONS, roles, user_id, username)
    payload["message"] = message
    return payload
