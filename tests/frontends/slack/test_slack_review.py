"""The editors' review queue on Slack: a card posted to the review channel, its Block Kit
controls pressed as signed `block_actions` requests through Bolt over HTTP on 127.0.0.1 (the
editor user group asked of the fake Slack on every press), `/briefbot review` and `/briefbot feeds`."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp import web

from bot.commands import REVIEW_PAGE_SIZE
from bot.context import Context
from bot.core import queries
from bot.core.digest_files import default_context, read_digest
from bot.core.models import ItemState
from bot.frontends.slack import SlackFrontend
from bot.render.slack_blocks import all_texts
from bot.render.text import render_text
from bot.schedule.review_queue import ReviewQueue
from tests.conftest import SHARED
from tests.core.test_review import ARTICLE, CONTROLS, RECAPTURED, TEXT, drafted_ids, page_of, write
from tests.frontends.slack.conftest import ask, sign, slack_settings
from tests.frontends.slack.fake_slack import TEAM, Channel, FakeSlack

REVIEW = "C0REVIEW"


class _NoScheduler:
    def add_job(self, *args: Any, **kwargs: Any) -> None:
        self.job = (args, kwargs)


@pytest.fixture
async def app(slack_ctx: Context, fake_slack: FakeSlack) -> AsyncIterator[SlackFrontend]:
    slack_ctx.settings = slack_ctx.settings.with_(allow_private_urls=True)  # the test's feed is on 127.0.0.1
    write(slack_ctx.settings.summaries_dir, TEXT)
    assert slack_ctx.load_summaries().ok
    fake_slack.channels[REVIEW] = Channel(REVIEW)
    settings = slack_settings(
        slack_ctx.settings,
        fake_slack,
        socket=False,
        slack_review_channel=REVIEW,
        slack_editor_group="news-editors",
        allow_private_urls=True,
    )
    frontend = SlackFrontend(slack_ctx, settings)
    await frontend.start()
    yield frontend
    await frontend.close()


async def post_card(app: SlackFrontend, fake: FakeSlack) -> dict:
    queue = ReviewQueue(app.ctx.store, app.ctx.settings.summaries_dir, {"slack": app}, app.ctx.clock)
    queue.start(_NoScheduler())
    assert await queue.tick() == 1
    [card] = fake.channels[REVIEW].messages
    return card


def controls(blocks: list[dict]) -> dict[str, dict]:
    """Every control of a card by its action id."""
    return {e["action_id"]: e for b in blocks if b["type"] == "actions" for e in b["elements"]}


def by_text(blocks: list[dict], text: str) -> str:
    [action_id] = [a for a, e in controls(blocks).items() if e.get("text", {}).get("text") == text]
    return action_id


async def press(
    app: SlackFrontend, fake: FakeSlack, message: dict, action_id: str, *, user: str = "U0EDITOR", value: str = ""
) -> dict:
    """Send a signed block_actions request for one control, return what came to its response_url."""
    action: dict[str, Any] = {"action_id": action_id, "block_id": "b", "action_ts": f"{time.time():.6f}"}
    if value:
        action |= {
            "type": "static_select",
            "selected_option": {"text": {"type": "plain_text", "text": value}, "value": value},
        }
    else:
        action |= {"type": "button", "text": {"type": "plain_text", "text": "x"}}
    payload = {
        "type": "block_actions",
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM},
        "api_app_id": "A0APP",
        "token": "legacy",
        "container": {"type": "message", "message_ts": message.get("ts", "1.1"), "channel_id": REVIEW},
        "trigger_id": "1.2.3",
        "team": {"id": TEAM, "domain": "test"},
        "channel": {"id": REVIEW, "name": "review"},
        "message": message,
        "response_url": fake.response_url(),
        "actions": [action],
    }
    body = urlencode({"payload": json.dumps(payload)})
    ts = int(time.time())
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": sign(body, ts),
    }
    before = len(fake.responses)
    url = f"http://127.0.0.1:{app.port}/slack/events"
    async with aiohttp.ClientSession() as session, session.post(url, data=body, headers=headers) as response:
        assert response.status == 200
    await fake.wait_for(lambda: len(fake.responses) > before)
    return fake.responses[-1]


def digest_file(app: SlackFrontend) -> Path:
    return app.ctx.settings.summaries_dir / f"{ARTICLE}.yaml"


PER_PAGE = REVIEW_PAGE_SIZE["slack"]


def undecided(app: SlackFrontend) -> int:
    return len(drafted_ids(app.ctx.settings.summaries_dir))


async def turn_to(app: SlackFrontend, fake: FakeSlack, message: dict, page: int) -> dict:
    """The card after pressing "Page N ▶" until it shows `page` (0-based), as an editor would."""
    labels = [e.get("text", {}).get("text") or "" for e in controls(message["blocks"]).values()]
    following = [int(label.split()[1]) for label in labels if label.startswith("Page ") and label.endswith("▶")]
    shown = following[0] - 2 if following else page
    while shown < page:
        message = await press(app, fake, message, by_text(message["blocks"], f"Page {shown + 2} ▶"))
        shown += 1
    return message


def claim_id(app: SlackFrontend, words: str) -> str:
    digest = read_digest(digest_file(app), default_context(app.ctx.settings.summaries_dir))
    return next(c.id for c in digest.claims if words in c.evidence.text)


async def test_a_card_for_each_new_draft_in_the_review_channel(app: SlackFrontend, fake_slack: FakeSlack) -> None:
    card = await post_card(app, fake_slack)
    assert card["blocks"][0]["text"]["text"] == "Review: Ukraine says it recaptured Izium"
    assert card["metadata"]["event_type"] == "briefbot_review"
    texts = [e.get("text", {}).get("text") for e in controls(card["blocks"]).values()]
    assert "Accept k1" in texts and f"Accept all {undecided(app)} undecided" in texts and "Page 2 ▶" in texts
    assert len(card["blocks"]) <= 50


async def test_editors_decide_from_the_card_and_status_changes(app: SlackFrontend, fake_slack: FakeSlack) -> None:
    card = await post_card(app, fake_slack)
    first = await press(app, fake_slack, card, by_text(card["blocks"], "Page 2 ▶"))
    assert first["replace_original"] is True
    keep, drop = claim_id(app, RECAPTURED), claim_id(app, CONTROLS)
    page2 = await turn_to(app, fake_slack, first, page_of(app.ctx.settings.summaries_dir, keep, PER_PAGE))
    assert f"Accept {keep}" in [e.get("text", {}).get("text") for e in controls(page2["blocks"]).values()]
    accepted = await press(app, fake_slack, page2, by_text(page2["blocks"], f"Accept {keep}"))
    assert accepted["replace_original"] is True
    assert any(f"accepted {keep} — by u0editor (Slack U0EDITOR)" in t for t in all_texts(accepted["blocks"]))
    assert f"✓ Accept {keep}" in [e.get("text", {}).get("text") for e in controls(accepted["blocks"]).values()]
    menu = next(a for a in controls(accepted["blocks"]) if a.startswith("bb:rv:e:") and f":{keep}:" in a)
    edited = await press(app, fake_slack, accepted, menu, value="recaptured")
    assert any("nothing changed" in t for t in all_texts(edited["blocks"]))  # the same type: refused in words
    assert edited["response_type"] == "ephemeral"
    page3 = await turn_to(app, fake_slack, accepted, page_of(app.ctx.settings.summaries_dir, drop, PER_PAGE))
    rejected = await press(app, fake_slack, page3, by_text(page3["blocks"], f"Reject {drop}"))
    assert rejected["replace_original"] is True
    assert "by: u0editor (Slack U0EDITOR)" in digest_file(app).read_text("utf-8")
    text = render_text(queries.status(app.ctx.store, app.ctx.gazetteer, app.ctx.speakers, "Kharkiv"))
    claims = text.split("Contradictions:")[0]
    assert RECAPTURED in claims and CONTROLS not in claims
    kept_source = claims.split(RECAPTURED, 1)[1].splitlines()[1]
    assert "automatic" not in kept_source


async def test_a_statements_speaker_is_changed_in_its_menu(app: SlackFrontend, fake_slack: FakeSlack) -> None:
    card = await post_card(app, fake_slack)
    page2 = await press(app, fake_slack, card, by_text(card["blocks"], "Page 2 ▶"))
    speakers = {
        q.id: q.speaker for q in read_digest(digest_file(app), default_context(app.ctx.settings.summaries_dir)).quotes
    }
    menus = [a for a in controls(page2["blocks"]) if a.startswith("bb:rv:e:") and a.endswith(":speaker")]
    menu = next(a for a in menus if speakers[a.split(":")[4]] != "dmitry-peskov")
    options = [o["value"] for o in controls(page2["blocks"])[menu]["options"]]
    assert "dmitry-peskov" in options and len(options) <= 25
    item = menu.split(":")[4]
    await press(app, fake_slack, page2, menu, value="dmitry-peskov")
    digest = read_digest(digest_file(app), default_context(app.ctx.settings.summaries_dir))
    quote = next(q for q in digest.quotes if q.id == item)
    assert quote.speaker == "dmitry-peskov" and quote.review.state == ItemState.EDITED


async def test_non_editors_are_refused_and_nothing_changes(app: SlackFrontend, fake_slack: FakeSlack) -> None:
    card = await post_card(app, fake_slack)
    before = digest_file(app).read_text("utf-8")
    for user in ("U0MEMBER", "U0ADMIN"):  # with an editor group set, an admin outside it is no editor
        refused = await press(
            app, fake_slack, card, by_text(card["blocks"], f"Accept all {undecided(app)} undecided"), user=user
        )
        assert refused["response_type"] == "ephemeral" and refused["replace_original"] is False
        assert any("Only editors" in t for t in all_texts(refused["blocks"]))
    assert digest_file(app).read_text("utf-8") == before
    # the group is asked of Slack on every press
    assert len(fake_slack.calls_of("usergroups.users.list")) == 2


async def test_accept_all_and_mark_reviewed(app: SlackFrontend, fake_slack: FakeSlack) -> None:
    card = await post_card(app, fake_slack)
    done = await press(app, fake_slack, card, by_text(card["blocks"], f"Accept all {undecided(app)} undecided"))
    promoted = await press(app, fake_slack, done, by_text(done["blocks"], "Mark the article reviewed"))
    assert any("marked reviewed" in t for t in all_texts(promoted["blocks"]))
    assert "review: reviewed" in digest_file(app).read_text("utf-8")
    day = dt.date(2022, 9, 16)
    digest = render_text(queries.briefing(app.ctx.store, app.ctx.gazetteer, app.ctx.speakers, day=day))
    assert "recaptured Izium" in digest and "automatic" not in digest


async def test_briefbot_review_is_for_editors(app: SlackFrontend, fake_slack: FakeSlack) -> None:
    [listed] = await ask(app, fake_slack, "review", user="U0EDITOR")
    assert listed["response_type"] == "ephemeral"
    assert "Ukraine says it recaptured Izium" in "\n".join(all_texts(listed["blocks"]))
    [card] = await ask(app, fake_slack, f"review {ARTICLE}", user="U0EDITOR")
    assert any(b["type"] == "actions" for b in card["blocks"])
    [refused] = await ask(app, fake_slack, "review", user="U0MEMBER")
    assert any("Only editors" in t for t in all_texts(refused["blocks"]))


@pytest.fixture
async def feed_url() -> AsyncIterator[str]:
    rss = (SHARED / "data" / "articles" / "feeds" / "17_feed_bbc_2024-08-08.rss.xml").read_bytes()
    web_app = web.Application()
    web_app.router.add_get("/feed.xml", lambda request: web.Response(body=rss, content_type="application/rss+xml"))
    runner = web.AppRunner(web_app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}/feed.xml"
    await runner.cleanup()


async def test_briefbot_feeds_add_list_remove(app: SlackFrontend, fake_slack: FakeSlack, feed_url: str) -> None:
    [added] = await ask(app, fake_slack, f"feeds add {feed_url}", user="U0ADMIN")
    assert all_texts(added["blocks"])[0].startswith("Following BBC News (")
    [listed] = await ask(app, fake_slack, "feeds list", user="U0ADMIN")
    assert any("BBC News" in t for t in all_texts(listed["blocks"]))
    [refused] = await ask(app, fake_slack, "feeds list", user="U0MEMBER")
    assert any("Only workspace admins" in t and "followed feeds" in t for t in all_texts(refused["blocks"]))
    [bad] = await ask(app, fake_slack, "feeds follow x", user="U0ADMIN")
    assert any("say list, add, remove" in t for t in all_texts(bad["blocks"]))
    [removed] = await ask(app, fake_slack, f"feeds remove {feed_url}", user="U0ADMIN")
    assert any("Stopped following" in t for t in all_texts(removed["blocks"]))
    assert app.ctx.store.rows("SELECT count(*) AS n FROM feeds") == [{"n": 0}]
