"""Checks the fake applies to every message body beyond the OpenAPI schema.

Discord's documented embed limits (title 256, description 4,096, 25 fields of name 256 / value
1,024, footer 2,048, author 256, 6,000 characters over all embeds of a message, 10 embeds a
message) and briefbot's own rule: every message says `allowed_mentions: {"parse": []}`, so text
quoted from an article can never ping anyone.
"""

from __future__ import annotations

from typing import Any

MESSAGE_TEMPLATES = {
    "/channels/{channel_id}/messages",
    "/webhooks/{webhook_id}/{webhook_token}",
    "/webhooks/{webhook_id}/{webhook_token}/messages/@original",
    "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}",
}
CALLBACK = "/interactions/{interaction_id}/{interaction_token}/callback"


def embed_chars(embed: dict[str, Any]) -> int:
    """Characters Discord counts towards the 6,000 limit of one embed."""
    total = len(embed.get("title") or "") + len(embed.get("description") or "")
    total += len((embed.get("footer") or {}).get("text") or "")
    total += len((embed.get("author") or {}).get("name") or "")
    for f in embed.get("fields") or []:
        total += len(f.get("name") or "") + len(f.get("value") or "")
    return total


def check_message(message: dict[str, Any], where: str, *, is_edit: bool = False) -> list[str]:
    problems: list[str] = []
    embeds = message.get("embeds") or []
    if len(embeds) > 10:
        problems.append(f"{where}: {len(embeds)} embeds (limit 10)")
    limits = {"title": 256, "description": 4096}
    for i, embed in enumerate(embeds):
        for key, limit in limits.items():
            if len(embed.get(key) or "") > limit:
                problems.append(f"{where}: embed {i} {key} {len(embed[key])} chars (limit {limit})")
        fields = embed.get("fields") or []
        if len(fields) > 25:
            problems.append(f"{where}: embed {i} has {len(fields)} fields (limit 25)")
        for j, f in enumerate(fields):
            if len(f.get("name") or "") > 256 or len(f.get("value") or "") > 1024:
                problems.append(f"{where}: embed {i} field {j} too long")
        if len((embed.get("footer") or {}).get("text") or "") > 2048:
            problems.append(f"{where}: embed {i} footer too long")
    total = sum(embed_chars(e) for e in embeds)
    if total > 6000:
        problems.append(f"{where}: embeds total {total} chars (limit 6000)")
    if len(message.get("content") or "") > 2000:
        problems.append(f"{where}: content over 2000 chars")
    has_content = bool(message.get("content") or embeds)
    if (has_content or not is_edit) and message.get("allowed_mentions") != {"parse": []}:
        problems.append(f"{where}: allowed_mentions is {message.get('allowed_mentions')!r}, not {{'parse': []}}")
    return problems


def check_message_body(method: str, template: str, body: Any) -> list[str]:
    """Problems with one request body (empty list when it is fine or not a message)."""
    where = f"{method} {template}"
    if template == CALLBACK and isinstance(body, dict):
        if body.get("type") in (4, 7):  # message / update message; 5, 6 carry no text
            return check_message(body.get("data") or {}, where, is_edit=body["type"] == 7)
        return []
    if template in MESSAGE_TEMPLATES and isinstance(body, dict):
        return check_message(body, where, is_edit=method == "PATCH")
    return []
