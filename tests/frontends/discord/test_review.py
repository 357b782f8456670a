"""The editors' review queue on Discord, through discord.py's real paths to the fake Discord API
(every request validated against Discord's OpenAPI description at teardown): a card posted to
the review channel for a new draft, its buttons and menus pressed by editors and non-editors,
`/review` and `/feeds`."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import discord.http
import pytest
from aiohttp import web

from bot.commands import REVIEW_PAGE_SIZE
from bot.context import Context, open_context
from bot.core import queries
from bot.core.digest_files import default_context, read_digest
from bot.core.models import ItemState
from bot.frontends.discord import hooks
from bot.frontends.discord.client import DiscordFrontend
from bot.render.text import render_text
from bot.schedule.review_queue import ReviewQueue
from bot.settings import Secret, Settings, load_settings
from tests.conftest import SHARED
from tests.core.test_review import ARTICLE, CONTROLS, RECAPTURED, TEXT, drafted_ids, page_of, write
from tests.frontends.discord import payloads as p
from tests.frontends.discord.conftest import interact
from tests.frontends.discord.fake_discord import FakeDiscord
from tests.frontends.discord.limits import CALLBACK

REPO = Path(__file__).resolve().parents[3]
REVIEW_CHANNEL = "1200000000000000555"
EPHEMERAL = 64
NOW = dt.datetime(2022, 9, 17, 9, 0, tzinfo=dt.UTC)
EDITOR = {"roles": (p.EDITOR_ROLE,), "user_id": "1000000000000000777", "username": "olha"}


@pytest.fixture
def review_ctx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Context]:
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "summaries"
    shutil.copytree(REPO / "summaries", folder)
    write(folder, TEXT)
    settings = load_settings(
        db_path=tmp_path / "briefbot.db",
        summaries_dir=folder,
        discord_token="test-token",
        discord_review_channel=int(REVIEW_CHANNEL),
        discord_editor_role=int(p.EDITOR_ROLE),
        allow_private_urls=True,
    )
    ctx = open_context(settings, clock=lambda: NOW)
    yield ctx
    ctx.close()


@pytest.fixture
async def bot(fake: FakeDiscord, review_ctx: Context) -> AsyncIterator[DiscordFrontend]:
    previous = hooks.api_base()
    settings: Settings = review_ctx.settings.with_(discord_api_base=fake.base, discord_token=Secret("test-token"))
    frontend = DiscordFrontend(review_ctx, settings)
    await frontend.start(connect=False)
    yield frontend
    await frontend.close()
    discord.http.Route.BASE = previous


def digest_path(ctx: Context) -> Path:
    return ctx.settings.summaries_dir / f"{ARTICLE}.yaml"


def claim_id(ctx: Context, words: str) -> str:
    digest = read_digest(digest_path(ctx), default_context(ctx.settings.summaries_dir))
    return next(c.id for c in digest.claims if words in c.evidence.text)


def buttons(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every control of a message by its custom id."""
    return {c["custom_id"]: c for row in message["components"] for c in row["components"]}


def control(message: dict[str, Any], label: str) -> str:
    [found] = [cid for cid, c in buttons(message).items() if c.get("label") == label]
    return found


async def posted_card(bot: DiscordFrontend, fake: FakeDiscord, ctx: Context, page: int = 0) -> dict[str, Any]:
    """The card the review queue posts for the draft, at `page` (its buttons pressed to get there)."""
    queue = ReviewQueue(ctx.store, ctx.settings.summaries_dir, {"discord": bot}, ctx.clock)
    queue.start(_NoScheduler())
    assert await queue.tick() == 1
    [card] = fake.channel_messages[REVIEW_CHANNEL]
    return card


class _NoScheduler:
    """Stands in for APScheduler: the test runs the ticks itself."""

    def add_job(self, *args: Any, **kwargs: Any) -> None:
        self.job = (args, kwargs)


PER_PAGE = REVIEW_PAGE_SIZE["discord"]


def undecided(ctx: Context) -> int:
    return len(drafted_ids(ctx.settings.summaries_dir))


async def turn_to(bot: DiscordFrontend, fake: FakeDiscord, message: dict[str, Any], page: int) -> dict[str, Any]:
    """The card after pressing "Page N ▶" until it shows `page` (0-based), as an editor would."""
    shown = int(message["embeds"][0]["footer"]["text"].split("Page ")[1].split(" of")[0]) - 1
    while shown < page:
        await interact(bot, fake, p.button(control(message, f"Page {shown + 2} ▶"), message, **EDITOR))
        message = fake.messages[f"original:{fake.sent('POST', CALLBACK)[-1].path.split('/')[2]}"]
        shown += 1
    return message


def status_lines(ctx: Context, region: str) -> str:
    return render_text(queries.status(ctx.store, ctx.gazetteer, ctx.speakers, region))


async def test_a_new_draft_gets_a_card_in_the_review_channel(
    bot: DiscordFrontend, fake: FakeDiscord, review_ctx: Context
) -> None:
    card = await posted_card(bot, fake, review_ctx)
    embed = card["embeds"][0]
    assert embed["title"] == "Review: Ukraine says it recaptured Izium"
    n = undecided(review_ctx)
    assert f"{n} undecided" in embed["description"] and f"Page 1 of {-(-n // PER_PAGE)}" in embed["footer"]["text"]
    assert len(card["components"]) == 5  # four items, then the article's row: Discord's limit
    labels = [c["label"] for c in buttons(card).values()]
    assert labels[:2] == ["Accept k1", "Reject k1"]
    assert f"Accept all {n} undecided" in labels and "Page 2 ▶" in labels
    assert all(len(cid) <= 100 for cid in buttons(card))
    (post,) = fake.sent("POST", "/channels/{channel_id}/messages")
    assert post.body["allowed_mentions"] == {"parse": []} and post.body["enforce_nonce"] is True
    # the next tick posts nothing again: one card per draft
    queue = ReviewQueue(review_ctx.store, review_ctx.settings.summaries_dir, {"discord": bot}, review_ctx.clock)
    assert await queue.tick() == 0
    assert len(fake.channel_messages[REVIEW_CHANNEL]) == 1


async def test_editors_accept_and_reject_from_the_card(
    bot: DiscordFrontend, fake: FakeDiscord, review_ctx: Context
) -> None:
    card = await posted_card(bot, fake, review_ctx)
    keep, drop = claim_id(review_ctx, RECAPTURED), claim_id(review_ctx, CONTROLS)
    # claims come after the key points and statements: page through as an editor would
    page2 = await interact(bot, fake, p.button(control(card, "Page 2 ▶"), card, **EDITOR))
    assert page2["type"] == 7
    second = fake.messages[f"original:{fake.sent('POST', CALLBACK)[-1].path.split('/')[2]}"]
    third = await turn_to(bot, fake, second, page_of(review_ctx.settings.summaries_dir, keep, PER_PAGE))
    assert f"Accept {keep}" in [c["label"] for c in buttons(third).values()]

    accepted = await interact(bot, fake, p.button(control(third, f"Accept {keep}"), third, **EDITOR))
    assert accepted["type"] == 7  # the card is updated in place
    description = accepted["data"]["embeds"][0]["description"]
    assert f"accepted {keep} — by olha (Discord {EDITOR['user_id']})" in description
    assert "accepted by olha" in description
    pressed = {c["label"]: c for row in accepted["data"]["components"] for c in row["components"]}
    assert pressed[f"Accept {keep}"].get("disabled") is True
    after = fake.messages[f"original:{fake.sent('POST', CALLBACK)[-1].path.split('/')[2]}"]
    after = await turn_to(bot, fake, after, page_of(review_ctx.settings.summaries_dir, drop, PER_PAGE))
    rejected = await interact(bot, fake, p.button(control(after, f"Reject {drop}"), after, **EDITOR))
    assert rejected["type"] == 7

    raw = digest_path(review_ctx).read_text("utf-8")
    assert f"by: olha (Discord {EDITOR['user_id']})" in raw
    text = status_lines(review_ctx, "Kharkiv")
    kept = next(line for line in text.splitlines() if RECAPTURED in line)
    assert "automatic" not in text.split(kept, 1)[1].splitlines()[1]  # its source line has no draft label
    assert CONTROLS not in text.split("Contradictions:")[0]  # the rejected claim is gone


async def test_a_non_editor_is_refused_and_nothing_changes(
    bot: DiscordFrontend, fake: FakeDiscord, review_ctx: Context
) -> None:
    card = await posted_card(bot, fake, review_ctx)
    before = digest_path(review_ctx).read_text("utf-8")
    # a server manager without the editor role is no editor either
    body = await interact(bot, fake, p.button(control(card, "Accept k1"), card, permissions=p.MANAGER_PERMISSIONS))
    assert body["type"] == 4 and body["data"]["flags"] & EPHEMERAL
    assert "Only editors" in body["data"]["content"]
    forged = card["components"][0]["components"][0]["custom_id"].replace(":k1:", ":k2:")
    body = await interact(bot, fake, p.button(forged, card))
    assert "Only editors" in body["data"]["content"]
    assert digest_path(review_ctx).read_text("utf-8") == before
    decided = "SELECT count(*) AS n FROM key_points WHERE article_id = ? AND state != 'undecided'"
    assert review_ctx.store.rows(decided, [ARTICLE]) == [{"n": 0}]


async def test_an_editor_changes_a_claims_type_in_a_menu(
    bot: DiscordFrontend, fake: FakeDiscord, review_ctx: Context
) -> None:
    card = await posted_card(bot, fake, review_ctx)
    target = claim_id(review_ctx, CONTROLS)
    key = next(iter(buttons(card))).split(":")[3]
    page = page_of(review_ctx.settings.summaries_dir, target, PER_PAGE)
    menu_id = f"bb:rv:m:{key}:{target}:{page}:claim"
    menu = await interact(bot, fake, p.button(menu_id, card, **EDITOR))
    assert menu["type"] == 7
    [select_row, back_row] = menu["data"]["components"]
    [select] = select_row["components"]
    assert select["type"] == 3 and len(select["options"]) == 12
    assert {"label": "says is occupied", "value": "occupied"} in select["options"]
    assert back_row["components"][0]["label"] == "Back"
    opened = fake.messages[f"original:{fake.sent('POST', CALLBACK)[-1].path.split('/')[2]}"]
    chosen = await interact(bot, fake, p.select(select["custom_id"], ["lacks_control"], opened, **EDITOR))
    assert chosen["type"] == 7
    assert f"edited {target} (claim type → does not control)" in chosen["data"]["embeds"][0]["description"]
    digest = read_digest(digest_path(review_ctx), default_context(review_ctx.settings.summaries_dir))
    claim = next(c for c in digest.claims if c.id == target)
    assert claim.claim.value == "lacks_control" and claim.review.state == ItemState.EDITED
    assert dict(claim.review.was) == {"claim": "controls"}


async def test_two_editors_press_at_once_the_later_decision_stands(
    bot: DiscordFrontend, fake: FakeDiscord, review_ctx: Context
) -> None:
    card = await posted_card(bot, fake, review_ctx)
    before = len(fake.sent("POST", CALLBACK))
    other = {"roles": (p.EDITOR_ROLE,), "user_id": "1000000000000000888", "username": "borys"}
    bot.feed(p.button(control(card, "Accept k1"), card, **EDITOR))
    bot.feed(p.button(control(card, "Reject k1"), card, **other))
    await fake.wait_for(before + 2, "POST", CALLBACK)
    digest = read_digest(digest_path(review_ctx), default_context(review_ctx.settings.summaries_dir))
    k1 = digest.key_points[0].review
    assert {k1.by, *(h.by for h in k1.history)} == {
        f"olha (Discord {EDITOR['user_id']})",
        "borys (Discord 1000000000000000888)",
    }
    assert len(k1.history) == 1  # the earlier decision is kept on record


async def test_accept_all_then_mark_reviewed_from_chat(
    bot: DiscordFrontend, fake: FakeDiscord, review_ctx: Context
) -> None:
    card = await posted_card(bot, fake, review_ctx)
    key = next(iter(buttons(card))).split(":")[3]
    early = await interact(bot, fake, p.button(f"bb:rv:v:{key}::0", card, **EDITOR))  # forged: not offered yet
    n = undecided(review_ctx)
    assert early["data"]["flags"] & EPHEMERAL and f"{n} item(s) still undecided" in early["data"]["content"]
    assert "review: draft" in digest_path(review_ctx).read_text("utf-8")
    done = await interact(bot, fake, p.button(control(card, f"Accept all {n} undecided"), card, **EDITOR))
    assert f"{n} accepted" in done["data"]["embeds"][0]["description"]
    after = fake.messages[f"original:{fake.sent('POST', CALLBACK)[-1].path.split('/')[2]}"]
    promoted = await interact(bot, fake, p.button(control(after, "Mark the article reviewed"), after, **EDITOR))
    assert "marked reviewed" in promoted["data"]["embeds"][0]["description"]
    assert "review: reviewed" in digest_path(review_ctx).read_text("utf-8")
    day = dt.date(2022, 9, 16)
    digest = render_text(queries.briefing(review_ctx.store, review_ctx.gazetteer, review_ctx.speakers, day=day))
    assert "Ukraine says it recaptured Izium" in digest and "automatic" not in digest


async def test_review_lists_drafts_for_editors_only(
    bot: DiscordFrontend, fake: FakeDiscord, review_ctx: Context
) -> None:
    listed = await interact(bot, fake, p.slash("review", roles=(p.EDITOR_ROLE,)))
    assert listed["data"]["flags"] & EPHEMERAL
    assert listed["data"]["embeds"][0]["title"] == "Drafts to review"
    assert "Ukraine says it recaptured Izium" in listed["data"]["embeds"][0]["description"]
    one = await interact(bot, fake, p.slash("review", {"article": ARTICLE}, roles=(p.EDITOR_ROLE,)))
    assert one["data"]["embeds"][0]["title"].startswith("Review: ") and one["data"]["components"]
    refused = await interact(bot, fake, p.slash("review"))
    assert "Only editors" in refused["data"]["content"]
    unknown = await interact(bot, fake, p.slash("review", {"article": "2022-09-16-test-izum"}, roles=(p.EDITOR_ROLE,)))
    assert f"Did you mean: {ARTICLE}" in unknown["data"]["content"]


@pytest.fixture
async def feed_server() -> AsyncIterator[str]:
    rss = SHARED / "data" / "articles" / "feeds" / "17_feed_bbc_2024-08-08.rss.xml"
    app = web.Application()
    app.router.add_get(
        "/feed.xml", lambda request: web.Response(body=rss.read_bytes(), content_type="application/rss+xml")
    )
    app.router.add_get(
        "/broken.xml", lambda request: web.Response(text="<rss><channel><item>", content_type="text/xml")
    )
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def test_managers_follow_feeds_from_chat(
    bot: DiscordFrontend, fake: FakeDiscord, review_ctx: Context, feed_server: str
) -> None:
    manager = {"permissions": p.MANAGER_PERMISSIONS}
    url = f"{feed_server}/feed.xml"
    added = await interact(bot, fake, p.slash("feeds", {"action": "add", "url": url}, **manager))
    assert added["data"]["content"].startswith("Following BBC News")
    listed = await interact(bot, fake, p.slash("feeds", {"action": "list"}, **manager))
    assert url in listed["data"]["embeds"][0]["description"] or "BBC News" in listed["data"]["embeds"][0]["description"]
    broken = await interact(
        bot, fake, p.slash("feeds", {"action": "add", "url": f"{feed_server}/broken.xml"}, **manager)
    )
    assert "Not following" in broken["data"]["content"] and "malformed feed" in broken["data"]["content"]
    member = await interact(bot, fake, p.slash("feeds", {"action": "list"}))
    assert "Only server managers" in member["data"]["content"]
    removed = await interact(bot, fake, p.slash("feeds", {"action": "remove", "url": url}, **manager))
    assert removed["data"]["content"].startswith("Stopped following")
    assert review_ctx.store.rows("SELECT count(*) AS n FROM feeds") == [{"n": 0}]


async def test_a_slow_decision_is_acknowledged_then_the_card_edited(
    bot: DiscordFrontend, fake: FakeDiscord, review_ctx: Context
) -> None:
    card = await posted_card(bot, fake, review_ctx)
    bot.defer_after = 0.0  # every decision counts as slow
    ack = await interact(bot, fake, p.button(control(card, "Accept k1"), card, **EDITOR))
    assert ack["type"] == 6  # DEFERRED_UPDATE_MESSAGE: the card stays until it is edited
    [edit] = await fake.wait_for(1, "PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/@original")
    assert "accepted k1" in edit.body["embeds"][0]["description"] and edit.body["components"]
