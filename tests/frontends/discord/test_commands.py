"""End to end: INTERACTION_CREATE payloads through discord.py's command tree to the fake Discord.

Nothing of the bot is mocked: discord.py parses the payload, runs the command, our front end
calls the core on a real SQLite store, renders, and discord.py sends the HTTP requests the fake
receives (and validates against Discord's OpenAPI description, in the fixture).
"""

from __future__ import annotations

import datetime as dt
import re

import discord.http

from bench.synthetic import Generator
from bot import commands
from bot.context import Context
from bot.core.subscriptions import list_subscriptions
from bot.frontends.discord.client import DiscordFrontend
from bot.settings import Settings
from tests.frontends.discord import payloads as p
from tests.frontends.discord.conftest import AddArticles, interact
from tests.frontends.discord.fake_discord import FakeDiscord
from tests.frontends.discord.limits import CALLBACK

EPHEMERAL = 64


def description(body: dict) -> str:
    return "\n".join(e.get("description", "") for e in body["data"]["embeds"])


async def test_login_and_sync_go_to_the_fake(frontend: DiscordFrontend, fake: FakeDiscord) -> None:
    assert [r.template for r in fake.requests[:2]] == ["/users/@me", "/oauth2/applications/@me"]
    sync = fake.sent("PUT", "/applications/{application_id}/commands")
    assert len(sync) == 1
    names = {c["name"]: c for c in sync[0].body}
    assert set(names) == {
        "status",
        "quote",
        "digest",
        "contradictions",
        "sources",
        "help",
        "subscribe",
        "unsubscribe",
        "subscriptions",
        "review",
        "feeds",
    }
    for managed in ("subscribe", "unsubscribe", "subscriptions", "feeds"):
        assert int(names[managed]["default_member_permissions"]) == p.MANAGE_GUILD
        assert names[managed]["contexts"] == [0]  # servers only
    assert names["status"]["default_member_permissions"] is None
    region = names["status"]["options"][0]
    assert region["name"] == "region" and region["autocomplete"] is True and region["required"] is True
    channel = next(o for o in names["subscribe"]["options"] if o["name"] == "channel")
    assert channel["type"] == 7 and sorted(channel["channel_types"]) == [0, 5]  # text and announcement
    action = names["feeds"]["options"][0]
    assert [c["value"] for c in action["choices"]] == ["list", "add", "remove"]
    article = names["review"]["options"][0]
    assert article["autocomplete"] is True and names["review"]["default_member_permissions"] is None
    # fixture teardown: every body, this PUT included, is valid against the spec


async def test_status_donetsk_answers_with_evidence_and_sources(frontend: DiscordFrontend, fake: FakeDiscord) -> None:
    body = await interact(frontend, fake, p.slash("status", {"region": "Donetsk"}))
    assert body["type"] == 4
    data = body["data"]
    assert data["allowed_mentions"] == {"parse": []}
    assert data.get("flags", 0) & EPHEMERAL == 0
    embed = data["embeds"][0]
    assert embed["title"].startswith("Donetsk (UA-14)")
    text = embed["description"]
    assert "**According to Dmitry Peskov**" in text
    assert "“Peskov said the area specifically needing liberation was Donetsk”" in text
    assert "[Newsweek](https://www.msn.com/en-us/news/world/kremlin-says-russia-is-done-taking-territory" in text
    assert "8 Dec 2022" in text


async def test_quote_peskov_with_forgiving_match(frontend: DiscordFrontend, fake: FakeDiscord) -> None:
    body = await interact(frontend, fake, p.slash("quote", {"speaker": "Dmitri Peskow"}))
    embed = body["data"]["embeds"][0]
    assert embed["title"] == "Dmitry Peskov, Kremlin spokesman"
    assert "“Russia has no plans to seize more territory from Ukraine”" in embed["description"]
    assert "said (reported speech)" in embed["description"]


async def test_digest_contradictions_sources_help(frontend: DiscordFrontend, fake: FakeDiscord) -> None:
    digest = await interact(frontend, fake, p.slash("digest"))
    assert digest["data"]["embeds"][0]["title"] == "Digest for 8 Dec 2022"
    assert "**Key points**" in description(digest)
    dated = await interact(frontend, fake, p.slash("digest", {"date": "2022-12-08"}))
    assert dated["data"]["embeds"][0]["title"] == "Digest for 8 Dec 2022"
    contradictions = await interact(frontend, fake, p.slash("contradictions", {"region": "Donetsk"}))
    assert contradictions["data"]["embeds"][0]["title"] == "Contradictions about Donetsk"
    assert "↔" in description(contradictions)
    sources = await interact(frontend, fake, p.slash("sources"))
    assert "[Kremlin Says Russia Is Done Taking Territory From Ukraine](https://www.msn.com" in description(sources)
    help_body = await interact(frontend, fake, p.slash("help"))
    assert help_body["data"]["flags"] & EPHEMERAL
    assert "`/status REGION` — Who controls or claims a region" in description(help_body)
    assert "`/subscribe [TIME] [TIMEZONE] [CHANNEL]` — " in description(help_body)
    assert "(managers only)" in description(help_body)


async def test_unknown_region_and_speaker_are_short_ephemeral_with_suggestions(
    frontend: DiscordFrontend, fake: FakeDiscord
) -> None:
    region = await interact(frontend, fake, p.slash("status", {"region": "Atlantis"}))
    assert region["data"]["flags"] & EPHEMERAL
    assert region["data"]["embeds"] == []
    assert region["data"]["content"].startswith("Unknown region “Atlantis”. Did you mean:")
    assert len(region["data"]["content"]) < 300
    several = await interact(frontend, fake, p.slash("status", {"region": "Donbas"}))
    assert several["data"]["content"] == "“Donbas” covers several regions: ask for one of Donetsk, Luhansk."
    nobody = await interact(frontend, fake, p.slash("quote", {"speaker": "Zzyzx Qwerty"}))
    assert nobody["data"]["flags"] & EPHEMERAL
    assert nobody["data"]["content"].startswith("Unknown speaker “Zzyzx Qwerty”")
    bad_day = await interact(frontend, fake, p.slash("digest", {"date": "not a date at all"}))
    assert bad_day["data"]["flags"] & EPHEMERAL


async def test_autocomplete_regions_speakers_and_zones(frontend: DiscordFrontend, fake: FakeDiscord) -> None:
    regions = await interact(frontend, fake, p.autocomplete("status", {"region": "Don"}, "region"))
    assert regions["type"] == 8
    choices = regions["data"]["choices"]
    assert 0 < len(choices) <= 25
    assert {"name": "Donetsk", "value": "UA-14"} in choices
    everything = await interact(frontend, fake, p.autocomplete("status", {"region": ""}, "region"))
    assert len(everything["data"]["choices"]) == 25
    speakers = await interact(frontend, fake, p.autocomplete("quote", {"speaker": "Pes"}, "speaker"))
    assert any(c["value"] == "dmitry-peskov" for c in speakers["data"]["choices"])
    zones = await interact(
        frontend, fake, p.autocomplete("subscribe", {"channel": "1", "timezone": "Europe/K"}, "timezone")
    )
    assert {"name": "Europe/Kyiv", "value": "Europe/Kyiv"} in zones["data"]["choices"]


async def test_member_cannot_subscribe_manager_can(frontend: DiscordFrontend, fake: FakeDiscord) -> None:
    target = p.ChannelRef("1200000000000000777")
    refused = await interact(frontend, fake, p.slash("subscribe", {"channel": target}))
    assert refused["data"]["flags"] & EPHEMERAL
    assert "Manage Server" in refused["data"]["content"]
    assert list_subscriptions(frontend.ctx.store, platform="discord") == []

    options = {"channel": target, "time": "7:30", "timezone": "Europe/Kyiv"}
    done = await interact(frontend, fake, p.slash("subscribe", options, permissions=p.MANAGER_PERMISSIONS))
    assert done["data"].get("flags", 0) & EPHEMERAL == 0
    assert done["data"]["content"] == f"<#{target.id}> gets the daily digest at 07:30 (Europe/Kyiv)."
    (sub,) = list_subscriptions(frontend.ctx.store, platform="discord")
    assert (sub.workspace, sub.channel, sub.local_time, sub.timezone) == (
        p.GUILD_ID,
        target.id,
        "07:30",
        "Europe/Kyiv",
    )
    assert sub.created_by == p.USER_ID

    bad = await interact(
        frontend, fake, p.slash("subscribe", {"channel": target, "time": "25:99"}, permissions=p.MANAGER_PERMISSIONS)
    )
    assert bad["data"]["flags"] & EPHEMERAL and "HH:MM" in bad["data"]["content"]

    listed = await interact(frontend, fake, p.slash("subscriptions", permissions=p.MANAGER_PERMISSIONS))
    assert listed["data"]["flags"] & EPHEMERAL
    assert f"<#{target.id}> at 07:30 Europe/Kyiv: active" in description(listed)
    member_list = await interact(frontend, fake, p.slash("subscriptions"))
    assert member_list["data"]["flags"] & EPHEMERAL and "Manage Server" in member_list["data"]["content"]

    member_unsub = await interact(frontend, fake, p.slash("unsubscribe", {"channel": target}))
    assert member_unsub["data"]["flags"] & EPHEMERAL
    assert len(list_subscriptions(frontend.ctx.store, platform="discord")) == 1
    stopped = await interact(
        frontend, fake, p.slash("unsubscribe", {"channel": target}, permissions=p.MANAGER_PERMISSIONS)
    )
    assert stopped["data"]["content"] == f"Daily digest stopped in <#{target.id}>."
    assert list_subscriptions(frontend.ctx.store, platform="discord") == []


async def test_everyone_in_a_quote_never_pings(
    frontend: DiscordFrontend, fake: FakeDiscord, add_articles: AddArticles
) -> None:
    words = "Tell @everyone and @here that <@&123> is wrong"
    add_articles([Generator().article(1, published=dt.date(2022, 12, 9), quotes=[("volodymyr-zelensky", words)])])
    body = await interact(frontend, fake, p.slash("quote", {"speaker": "Zelensky"}))
    data = body["data"]
    assert data["allowed_mentions"] == {"parse": []}
    text = description(body)
    assert "\\@everyone" in text and "\\@here" in text
    assert re.search(r"(?<!\\)@(everyone|here)", text) is None
    assert re.sub(r"\\(.)", r"\1", text).count(words) == 1  # verbatim once unescaped


async def test_long_answer_is_paged_with_buttons(
    frontend: DiscordFrontend, fake: FakeDiscord, add_articles: AddArticles
) -> None:
    long_words = "We will not stop until every settlement of the region is liberated, " * 3
    quotes = [("vladimir-putin", f"{long_words.strip()} (statement {n})") for n in range(40)]
    day = dt.date(2022, 12, 10)
    generator = Generator()
    add_articles([generator.article(n, published=day, quotes=quotes[n * 4 : n * 4 + 4]) for n in range(10)])
    first = await interact(frontend, fake, p.slash("quote", {"speaker": "Putin"}))
    footer = first["data"]["embeds"][0]["footer"]["text"]
    pages = int(re.match(r"Page 1 of (\d+)", footer)[1])
    assert pages > 1
    (row,) = first["data"]["components"]
    (next_button,) = row["components"]
    assert next_button["custom_id"] == "bb:pg:1:quote:speaker=vladimir-putin"
    assert next_button["label"] == "Page 2 ▶"

    message = fake.messages[f"original:{fake.sent('POST', CALLBACK)[-1].path.split('/')[2]}"]
    second = await interact(frontend, fake, p.button(next_button["custom_id"], message))
    assert second["type"] == 7  # update the message in place
    assert second["data"]["embeds"][0]["footer"]["text"].startswith(f"Page 2 of {pages}")
    labels = [b["label"] for b in second["data"]["components"][0]["components"]]
    assert labels[0] == "◀ Page 1"
    first_quotes = set(re.findall(r"\(statement (\d+)\)", description(first)))
    second_quotes = set(re.findall(r"\(statement (\d+)\)", description(second)))
    assert first_quotes and second_quotes and not first_quotes & second_quotes


async def test_slow_answer_is_deferred_then_edited(frontend: DiscordFrontend, fake: FakeDiscord) -> None:
    frontend.defer_after = 0.0  # treat every answer as slow
    body = await interact(frontend, fake, p.slash("status", {"region": "Donetsk"}))
    assert body["type"] == 5  # deferred, "briefbot is thinking"
    (edit,) = await fake.wait_for(1, "PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/@original")
    assert edit.body["embeds"][0]["title"].startswith("Donetsk (UA-14)")
    assert edit.body["allowed_mentions"] == {"parse": []}


async def test_slow_error_replaces_the_thinking_message_privately(frontend: DiscordFrontend, fake: FakeDiscord) -> None:
    frontend.defer_after = 0.0
    await interact(frontend, fake, p.slash("status", {"region": "Atlantis"}))
    await fake.wait_for(1, "DELETE", "/webhooks/{webhook_id}/{webhook_token}/messages/@original")
    (followup,) = await fake.wait_for(1, "POST", "/webhooks/{webhook_id}/{webhook_token}")
    assert followup.body["flags"] & EPHEMERAL and "Atlantis" in followup.body["content"]


async def test_guild_sync_when_discord_guild_id_is_set(fake: FakeDiscord, ctx: Context, settings: Settings) -> None:
    previous = discord.http.Route.BASE
    s = settings.with_(**{"discord_api_base": fake.base, "discord_guild_id": int(p.GUILD_ID)})
    bot = DiscordFrontend(ctx, s)
    try:
        await bot.start(connect=False)
        (put,) = fake.sent("PUT", "/applications/{application_id}/guilds/{guild_id}/commands")
        assert put.path.endswith(f"/guilds/{p.GUILD_ID}/commands")
        assert len(put.body) == len(commands.COMMANDS)
        assert fake.sent("PUT", "/applications/{application_id}/commands") == []
        assert len(bot.synced) == len(commands.COMMANDS)
    finally:
        await bot.close()
        discord.http.Route.BASE = previous


async def test_failed_sync_is_logged_and_the_bot_still_answers(
    fake: FakeDiscord, ctx: Context, settings: Settings
) -> None:
    previous = discord.http.Route.BASE
    fake.fail_next("PUT", "/applications/{application_id}/commands", 403, {"message": "Missing Access", "code": 50001})
    bot = DiscordFrontend(ctx, settings.with_(**{"discord_api_base": fake.base}))
    try:
        await bot.start(connect=False)
        assert bot.synced == []
        body = await interact(bot, fake, p.slash("help"))
        assert "`/status REGION`" in description(body)
    finally:
        await bot.close()
        discord.http.Route.BASE = previous


async def test_a_forged_page_button_cannot_run_a_managing_command(frontend: DiscordFrontend, fake: FakeDiscord) -> None:
    forged = "bb:pg:0:subscribe:time=07%3A00"
    button = {"type": 2, "style": 2, "label": "x", "custom_id": forged}
    message = fake._message(p.CHANNEL_ID, {"content": "x", "components": [{"type": 1, "components": [button]}]})
    body = await interact(frontend, fake, p.button(forged, message))
    assert body["data"]["flags"] & EPHEMERAL
    assert list_subscriptions(frontend.ctx.store) == []


async def test_commands_work_in_a_dm_and_subscribing_there_is_refused(
    frontend: DiscordFrontend, fake: FakeDiscord
) -> None:
    body = await interact(frontend, fake, p.in_dm(p.slash("quote", {"speaker": "Peskov"})))
    assert body["data"]["embeds"][0]["title"].startswith("Dmitry Peskov")
    target = p.ChannelRef("1200000000000000778")
    refused = await interact(
        frontend, fake, p.in_dm(p.slash("subscribe", {"channel": target}, permissions=p.MANAGER_PERMISSIONS))
    )
    assert refused["data"]["flags"] & EPHEMERAL
    assert list_subscriptions(frontend.ctx.store) == []


HOSTILE = [
    " ",
    "@everyone",
    "<@&123456789012345678>",
    "**bold** __under__ ||spoiler||",
    "\x00\x07 control",
    "a" * 100,
    "Донецьк",
    "🙂🙂🙂",
    "' OR 1=1 --",
    "\n\n# heading",
    "[link](https://evil.example)",
    "%s%n{0}",
]


async def test_hostile_input_gets_short_valid_answers(frontend: DiscordFrontend, fake: FakeDiscord) -> None:
    for text in HOSTILE:
        for name, option in (("status", "region"), ("quote", "speaker"), ("digest", "date")):
            body = await interact(frontend, fake, p.slash(name, {option: text}))
            data = body["data"]
            assert data["allowed_mentions"] == {"parse": []}
            if data.get("flags", 0) & EPHEMERAL:
                assert len(data["content"]) < 600
                assert "Traceback" not in data["content"]
                assert "@everyone" not in data["content"].replace("\\@everyone", "")
    # the fixture checks every one of these bodies against the spec and the limits
