"""The Slack app over real HTTP on 127.0.0.1: signed requests, refusals, every subcommand."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

from bot.core.db import Store
from bot.frontends.slack import SlackFrontend
from bot.render.slack_blocks import all_texts
from tests.frontends.slack.conftest import SIGNING_SECRET, ask, command_payload, post_command
from tests.frontends.slack.fake_slack import FakeSlack


def texts(response: dict) -> str:
    return "\n".join(all_texts(response["blocks"]))


async def test_status_donetsk_answers_in_channel_with_verbatim_evidence(http_app: SlackFrontend, fake_slack: FakeSlack):
    [response] = await ask(http_app, fake_slack, "status Donetsk")
    assert response["response_type"] == "in_channel"
    assert response["blocks"][0]["type"] == "header"
    assert "Donetsk" in response["blocks"][0]["text"]["text"]
    body = texts(response)
    article = (http_app.ctx.settings.summaries_dir / "2022-12-08-newsweek-kremlin-territory.txt").read_text()
    quoted = [line[2:-1] for line in body.split("\n") if line.startswith(">“") and line.endswith("”")]
    assert quoted, body
    for words in quoted:  # every quotation is a verbatim span of the stored article
        assert words.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">") in article
    assert "|Newsweek, 8 Dec 2022>" in body
    assert "<https://www.msn.com/en-us/news/world/kremlin-says-russia-is-done-taking-territory" in body


async def test_wrong_signature_and_stale_timestamp_are_refused_and_run_nothing(
    http_app: SlackFrontend, fake_slack: FakeSlack
):
    payload = command_payload(fake_slack, "subscribe 07:00", user="U0ADMIN")
    status, _ = await post_command(http_app, payload, secret="not-the-secret")
    assert status == 401
    status, _ = await post_command(http_app, payload, timestamp=int(time.time()) - 6 * 60)
    assert status == 401
    assert [c.method for c in fake_slack.calls] == ["auth.test"]  # the token check at start, nothing since
    assert fake_slack.responses == []
    assert http_app.ctx.store["subscriptions"].count == 0


async def test_quote_peskov(http_app: SlackFrontend, fake_slack: FakeSlack):
    [response] = await ask(http_app, fake_slack, "quote Peskov")
    assert response["response_type"] == "in_channel"
    body = texts(response)
    assert "Peskov" in response["blocks"][0]["text"]["text"]
    assert "“But there is nevertheless a lot of work ahead to liberate the territories" in body
    assert "said (reported speech):" in body and "* said:" in body


async def test_digest_contradictions_sources_help(http_app: SlackFrontend, fake_slack: FakeSlack):
    [digest] = await ask(http_app, fake_slack, "digest 2022-12-08")
    assert "Digest for 8 Dec 2022" in digest["blocks"][0]["text"]["text"]
    assert "*Key points*" in texts(digest)
    [latest] = await ask(http_app, fake_slack, "digest")
    assert latest["blocks"][0] == digest["blocks"][0]
    [contradictions] = await ask(http_app, fake_slack, "contradictions")
    assert contradictions["blocks"][0]["text"]["text"].startswith("Contradictions")
    [sources] = await ask(http_app, fake_slack, "sources")
    assert "Kremlin Says Russia Is Done Taking Territory From Ukraine" in texts(sources)
    [help_] = await ask(http_app, fake_slack, "help")
    body = texts(help_)
    for usage in ("/briefbot status REGION", "/briefbot quote SPEAKER", "/briefbot subscribe [TIME] [TIMEZONE]"):
        assert usage in body
    [empty] = await ask(http_app, fake_slack, "")
    assert empty["blocks"] == help_["blocks"]


async def test_unknown_region_and_speaker_are_ephemeral(http_app: SlackFrontend, fake_slack: FakeSlack):
    [region] = await ask(http_app, fake_slack, "status Narnia")
    assert region["response_type"] == "ephemeral"
    assert "⚠ Unknown region “Narnia”. Did you mean: " in texts(region)
    [speaker] = await ask(http_app, fake_slack, "quote Xyzzy")
    assert speaker["response_type"] == "ephemeral"
    assert "Unknown speaker “Xyzzy”" in texts(speaker) and "Dmitry Peskov" in texts(speaker)
    [bad] = await ask(http_app, fake_slack, "statuss Donetsk")
    assert bad["response_type"] == "ephemeral"
    assert "unknown command" in texts(bad)


async def test_hostile_text_is_escaped_and_never_pings(http_app: SlackFrontend, fake_slack: FakeSlack):
    for hostile in ("<!everyone>", "@here", "<@U123>", "&lt;", "<!subteam^S1|@x> <http://evil.test|click>"):
        # Slack sends typed & < > as entities; the fake client does the same
        encoded = hostile.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        [response] = await ask(http_app, fake_slack, f"status {encoded}")
        assert response["response_type"] == "ephemeral"
        raw = json.dumps(response)
        for control in ("<!everyone>", "<!here>", "<!channel>", "<@U123>", "<!subteam", "<http://evil"):
            assert control not in raw
        assert "link_names" not in response
        for text in all_texts(response["blocks"]):
            assert "<" not in text.replace("<https://", "")  # only our own source links open a tag
    long = "A" * 10_000
    [response] = await ask(http_app, fake_slack, f"quote {long}")
    assert response["response_type"] == "ephemeral"
    assert len(json.dumps(response)) < 3000


async def test_the_command_is_acknowledged_before_the_work_is_done(http_app: SlackFrontend, fake_slack: FakeSlack):

    blocker = Store(http_app.ctx.settings.db_path)
    blocker.conn.execute("BEGIN IMMEDIATE")  # another writer holds the store: /subscribe has to wait
    try:
        status, body = await post_command(http_app, command_payload(fake_slack, "subscribe 06:30", user="U0ADMIN"))
        assert (status, body) == (200, "")  # Slack has its acknowledgement while the write still waits
        assert fake_slack.responses == []
    finally:
        blocker.conn.execute("ROLLBACK")
        blocker.close()
    await fake_slack.wait_for(lambda: len(fake_slack.responses) == 1)
    assert "06:30" in texts(fake_slack.responses[0])


async def test_a_day_with_nothing_stored_offers_the_nearest_days(http_app: SlackFrontend, fake_slack: FakeSlack):
    [response] = await ask(http_app, fake_slack, "digest 2021-01-01")
    assert response["response_type"] == "ephemeral"
    assert texts(response) == "⚠ No articles on 2021-01-01. Nearest days with articles: 2022-12-08."


async def _raw(frontend: SlackFrontend, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    import aiohttp

    url = f"http://127.0.0.1:{frontend.port}/slack/events"
    async with aiohttp.ClientSession() as session, session.post(url, data=body, headers=headers) as response:
        return response.status, await response.text()


async def test_malformed_requests_are_short_refusals_without_a_traceback(
    http_app: SlackFrontend, fake_slack: FakeSlack, caplog
) -> None:
    import logging

    now = str(int(time.time()))
    with caplog.at_level(logging.DEBUG):
        # unsigned, not UTF-8
        assert (await _raw(http_app, b"\xff\xfe\x00bad", {"Content-Type": "application/x-www-form-urlencoded"}))[
            0
        ] == 401
        # a bogus charset, unsigned
        bogus = {"Content-Type": "application/x-www-form-urlencoded; charset=no-such-charset"}
        assert (await _raw(http_app, b"text=hi", bogus))[0] == 401
        # a timestamp that is not a number
        bad_time = {"X-Slack-Request-Timestamp": "yesterday", "X-Slack-Signature": "v0=00"}
        assert (await _raw(http_app, b"text=hi", bad_time))[0] == 401
        # signed, but not UTF-8
        body = b"text=\xff\xfe"
        digest = hmac.new(SIGNING_SECRET.encode(), b"v0:" + now.encode() + b":" + body, hashlib.sha256).hexdigest()
        signed = {"X-Slack-Request-Timestamp": now, "X-Slack-Signature": f"v0={digest}"}
        status, text = await _raw(http_app, body, signed)
    # Slack signs UTF-8 text: bytes that are not cannot carry a valid signature
    assert status == 401 and text == "invalid request signature"
    assert not any(r.exc_info for r in caplog.records)  # nothing logged with a traceback
    assert fake_slack.responses == []


async def test_a_request_body_that_never_arrives_is_not_waited_for(http_app: SlackFrontend, monkeypatch) -> None:
    import asyncio

    from bot.frontends.slack import frontend as slack_frontend

    monkeypatch.setattr(slack_frontend, "BODY_DEADLINE_S", 0.2)
    reader, writer = await asyncio.open_connection("127.0.0.1", http_app.port)
    writer.write(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\npartial")
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(200), 5)
    writer.close()
    assert answer.startswith(b"HTTP/1.1 408")
