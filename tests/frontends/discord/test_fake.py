"""The checks of the fake Discord are real: bad bodies are caught, and named precisely."""

from __future__ import annotations

import aiohttp

from tests.frontends.discord.fake_discord import FakeDiscord
from tests.frontends.discord.limits import CALLBACK, check_message_body
from tests.frontends.discord.openapi import spec_validator

CALLBACK_PATH = "/api/v10/interactions/1/tok/callback"


def test_validator_reports_the_deepest_error_of_the_right_alternative() -> None:
    body = {"type": 4, "data": {"embeds": [{"title": "x" * 300}], "allowed_mentions": {"parse": []}}}
    problem = spec_validator().validate("POST", CALLBACK_PATH, body)
    assert problem is not None
    assert problem.startswith(f"POST {CALLBACK}: at data/embeds/0/title: maxLength 256 failed")


def test_validator_catches_too_many_choices_and_bad_types() -> None:
    choices = [{"name": f"n{i}", "value": f"v{i}"} for i in range(26)]
    too_many = spec_validator().validate("POST", CALLBACK_PATH, {"type": 8, "data": {"choices": choices}})
    assert too_many is not None and "at data/choices: maxItems 25" in too_many
    wrong = spec_validator().validate("POST", "/api/v10/channels/1/messages", {"content": 5})
    assert wrong is not None and "at content" in wrong


def test_validator_accepts_a_good_body_and_knows_routes() -> None:
    body = {"type": 4, "data": {"content": "hi", "allowed_mentions": {"parse": []}}}
    assert spec_validator().validate("POST", CALLBACK_PATH, body) is None
    assert spec_validator().validate("GET", "/api/v10/users/@me", None) is None
    unknown = spec_validator().validate("POST", "/api/v10/nowhere", {})
    assert unknown is not None and "no such operation" in unknown
    original = spec_validator().operation("PATCH", "/api/v10/webhooks/1/t/messages/@original")
    assert original is not None and original.template.endswith("/messages/@original")


def test_limits_catch_pings_and_oversized_messages() -> None:
    no_rule = check_message_body("POST", "/channels/{channel_id}/messages", {"content": "@everyone"})
    assert any("allowed_mentions" in p for p in no_rule)
    big = {"embeds": [{"description": "x" * 4000}, {"description": "y" * 2500}], "allowed_mentions": {"parse": []}}
    assert any("6000" in p for p in check_message_body("POST", "/channels/{channel_id}/messages", big))
    assert check_message_body("POST", CALLBACK, {"type": 5}) == []


async def test_fake_answers_with_exact_json_content_type_and_records_violations() -> None:
    fake = FakeDiscord()
    await fake.start()
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{fake.base}/users/@me", headers={"Authorization": "Bot t"}) as resp:
                assert resp.headers["Content-Type"] == "application/json"
                assert (await resp.json())["bot"] is True
            bad = {"type": 4, "data": {"content": "@everyone"}}
            async with session.post(f"{fake.base}/interactions/1/tok/callback?with_response=1", json=bad) as resp:
                assert resp.status == 200
        assert any("allowed_mentions" in v for v in fake.violations)
    finally:
        await fake.close()
        fake.violations.clear()


async def test_fake_enforces_a_global_rate_limit_with_a_fake_clock() -> None:
    now = [100.25]
    fake = FakeDiscord(global_limit=2, clock=lambda: now[0])
    await fake.start()
    try:
        async with aiohttp.ClientSession(headers={"Authorization": "Bot t"}) as session:
            statuses = []
            for _ in range(3):
                async with session.get(f"{fake.base}/users/@me") as resp:
                    statuses.append(resp.status)
                    last = await resp.json()
            assert statuses == [200, 200, 429]
            assert last == {"message": "You are being rate limited.", "retry_after": 0.75, "global": True}
            now[0] = 101.0  # the next second: allowed again
            async with session.get(f"{fake.base}/users/@me") as resp:
                assert resp.status == 200
        assert fake.global_429s == 1
    finally:
        await fake.close()


async def test_fake_rolling_limit_nonce_window_and_stats() -> None:
    """The digest benchmark's fake: any one second counts, a nonce repeats the first message
    only within the de-duplication window, and /__stats says what happened."""
    now = [100.5]
    fake = FakeDiscord(global_limit=2, rolling_window=True, nonce_window_s=120.0, clock=lambda: now[0])
    await fake.start()
    body = {"content": "hi", "nonce": "n1", "enforce_nonce": True, "allowed_mentions": {"parse": []}}
    url = f"{fake.base}/channels/1/messages"
    try:
        async with aiohttp.ClientSession(headers={"Authorization": "Bot t"}) as session:

            async def post() -> tuple[int, dict]:
                async with session.post(url, json=body) as resp:
                    return resp.status, await resp.json()

            (s1, first), (s2, again) = await post(), await post()
            assert (s1, s2) == (200, 200) and again["id"] == first["id"]
            now[0] = 101.0  # both earlier requests are within the last second
            status, limited = await post()
            assert status == 429 and limited == {
                "message": "You are being rate limited.",
                "retry_after": 0.5,
                "global": True,
            }
            now[0] = 101.5
            assert (await post())[1]["id"] == first["id"]
            now[0] = 100.5 + 121  # past the nonce window: a new message
            status, later = await post()
            assert status == 200 and later["id"] != first["id"]
            async with session.get(f"http://127.0.0.1:{fake.port}/__stats") as resp:
                stats = await resp.json()
        assert stats["posts_per_channel"] == {"1": 2} and stats["rate_limited"] == 1
        assert stats["requests"] == 5 and stats["violations"] == []
    finally:
        await fake.close()
