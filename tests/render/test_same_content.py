"""One table of answers, three renderers: the console, Discord and Slack show the same content.

Every answer is laid out once (`bot/render/layout.py`); each renderer only formats the layout. For
each case below, every piece of text the layout holds (title, notes, headings, each item's words,
its verbatim quotes, publisher, day, relay, review label, empty states, messages) must be
visible in each platform's output, once its formatting (escapes, markup, link syntax) is read
back.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable, Iterator

import pytest

from bot.commands import help_answer
from bot.context import Context
from bot.core import queries
from bot.core.models import (
    Answer,
    ArticleItem,
    BriefingAnswer,
    ClaimItem,
    ClaimType,
    ContradictionItem,
    ContradictionsAnswer,
    ItemState,
    KeyPointItem,
    NotFound,
    Notice,
    QuoteItem,
    QuoteKind,
    QuotesAnswer,
    RegionInfo,
    RegionLine,
    Review,
    SourceClaims,
    SourceRef,
    SourcesAnswer,
    SpeakerInfo,
    StatusAnswer,
    SubscriptionLine,
    SubscriptionsAnswer,
    UsageError,
)
from bot.render.discord_embeds import render as render_discord
from bot.render.layout import Layout, layout
from bot.render.slack_blocks import all_texts, render_messages
from bot.render.text import render_text

SRC = SourceRef("a1", "Newsweek", "Kremlin says it is done", dt.date(2022, 12, 8), "https://example.org/a1")
DRAFT = SourceRef(
    "a2", "Kyiv Post", "Shelling in Kherson", dt.date(2022, 12, 9), "https://example.org/a2", Review.DRAFT
)
DONETSK = RegionInfo("UA-14", "Donetsk")
ANNEXED = ClaimItem(
    ClaimType.ANNEXED,
    "Russia",
    "Russia",
    "the four territories it annexed",
    SRC,
    dt.date(2022, 9, 1),
    "month",
    "Reuters",
)
SHELLED = ClaimItem(
    ClaimType.SHELLING,
    "Russia",
    "Kyiv Post",
    "Russian forces shelled the city",
    DRAFT,
    place="Kherson",
    state=ItemState.UNDECIDED,
)
PESKOV = QuoteItem(
    "Dmitry Peskov", "Peskov", "Kremlin spokesman", QuoteKind.DIRECT, "Russia has no plans", SRC, cue="said"
)
DENIED = QuoteItem(
    "Dmitry Peskov",
    "he",
    "",
    QuoteKind.INDIRECT,
    "the strike never happened",
    DRAFT,
    cue="denied",
    state=ItemState.UNDECIDED,
)
CLASH = ContradictionItem("Russia is done seizing", "a lot of work ahead", "done vs more to take", SRC, ("UA-14",))
CANDIDATE = ContradictionItem(
    "it is Russian", "it is Ukrainian", "who holds it", DRAFT, confirmed=False, state=ItemState.UNDECIDED
)
ARTICLE = ArticleItem(
    SRC, author="Anna Skinner", key_point_count=2, quote_count=3, claim_count=4, other_sources=("AP",)
)
UNREVIEWED = ArticleItem(DRAFT)

CASES: dict[str, Answer] = {
    "status": StatusAnswer(
        DONETSK,
        (SourceClaims("Russia", (ANNEXED,)), SourceClaims("Kyiv Post", (SHELLED,))),
        (CLASH,),
        matched_as="Donetska oblast",
        total_claims=9,
    ),
    "status, nothing yet": StatusAnswer(DONETSK, ()),
    "quote": QuotesAnswer(
        SpeakerInfo("dmitry-peskov", "Dmitry Peskov", "Kremlin spokesman"), (PESKOV, DENIED), "Peskow", 2
    ),
    "quote, nothing yet": QuotesAnswer(SpeakerInfo("vladimir-putin", "Vladimir Putin"), ()),
    "digest": BriefingAnswer(
        dt.date(2022, 12, 8),
        (ARTICLE,),
        (KeyPointItem("The Kremlin is done seizing territory", SRC),),
        (RegionLine(DONETSK, ANNEXED),),
        (PESKOV,),
        (CANDIDATE,),
        (UNREVIEWED,),
    ),
    "digest, quiet": BriefingAnswer(dt.date(2022, 12, 8), (), (), (), (), ()),
    "contradictions": ContradictionsAnswer(DONETSK, (CLASH, CANDIDATE)),
    "sources": SourcesAnswer((ARTICLE, UNREVIEWED), 2),
    "help": help_answer("console"),
    "subscriptions": SubscriptionsAnswer(
        "console", (SubscriptionLine("desk", "07:45", "Europe/Kyiv", True, "2026-10-06"),)
    ),
    "unknown region": NotFound("region", "Narnia", ("Chernihiv", "Sarny")),
    "several regions": NotFound("regions", "Donbas", ("Donetsk", "Luhansk")),
    "no such day": NotFound("date", "2021-01-01", ("2022-12-08",)),
    "usage": UsageError("/status needs a region", "/status REGION"),
    "notice": Notice("Something went wrong", ok=False),
}


def pieces(view: Layout) -> Iterator[str]:
    """Every text the layout holds, as shown (our wording and the verbatim quotes)."""
    yield view.title
    if view.message is not None:
        yield from (r.text for r in view.message)
    if view.usage:
        yield view.usage
    for note in view.notes:
        yield from (r.text for r in note)
    for section in view.sections:
        if section.heading:
            yield section.heading
        if section.empty and not section.items:
            yield section.empty
        for item in section.items:
            yield from (r.text for r in item.lead)
            yield from item.quotes
            if item.note:
                yield item.note
            if item.source is not None:
                yield from (item.source.publisher, item.source.day)
                yield from (x for x in (item.source.via, item.source.label) if x)
            for detail in item.details:
                yield from (r.text for r in detail)


def console(answer: Answer) -> str:
    return render_text(answer)


def discord(answer: Answer) -> str:
    out = []
    for page in render_discord(answer).pages:
        out.append(page.content or "")
        for embed in page.embeds:
            out += [embed.get("title", ""), embed.get("description", ""), embed.get("footer", {}).get("text", "")]
    text = "\n".join(out)
    text = re.sub(r"\[([^\]]*)\]\((https?://[^)]*)\)", r"\1 \2", text)  # [label](url)
    return re.sub(r"\\(.)", r"\1", text)


def slack(answer: Answer) -> str:
    texts = [t for message in render_messages(answer) for t in all_texts(message.blocks)]
    text = "\n".join(texts)
    text = re.sub(r"<(https?://[^|>]*)\|([^>]*)>", r"\2 \1", text)  # <url|label>
    return html.unescape(text)


RENDERERS: dict[str, Callable[[Answer], str]] = {"console": console, "discord": discord, "slack": slack}


def visible(shown: str) -> str:
    return " ".join(shown.replace("**", "").split())


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.parametrize("platform", list(RENDERERS))
def test_every_platform_shows_everything_the_layout_holds(case: str, platform: str) -> None:
    answer = CASES[case]
    shown = visible(RENDERERS[platform](answer))
    missing = [p for p in pieces(layout(answer)) if p and " ".join(p.split()) not in shown]
    assert missing == [], f"{platform} does not show {missing!r} of {case!r}:\n{shown}"


@pytest.mark.parametrize("platform", list(RENDERERS))
def test_every_quote_is_in_quotation_marks_with_its_source(platform: str) -> None:
    shown = visible(RENDERERS[platform](CASES["quote"]))
    assert "“Russia has no plans”" in shown and "“the strike never happened”" in shown
    assert "https://example.org/a1" in shown and "automatic, not reviewed" in shown
    assert "denied (reported speech)" in shown  # the cue as written, not "said" for everything


def test_a_name_covering_several_regions_reads_the_same_everywhere(ctx: Context) -> None:
    answer = queries.status(ctx.store, ctx.gazetteer, ctx.speakers, "Donbas")
    expected = "“Donbas” covers several regions: ask for one of Donetsk, Luhansk."
    for platform, render in RENDERERS.items():
        assert expected in visible(render(answer)).replace("⚠ ", ""), platform


@pytest.mark.parametrize("query", ["/status Donetsk", "/quote Peskov", "/digest"])
def test_the_seed_answers_alike_on_every_platform(ctx: Context, query: str) -> None:
    from bot.commands import run_line

    answer = run_line(ctx, query)
    expected = [p for p in pieces(layout(answer)) if p]
    for platform, render in RENDERERS.items():
        shown = visible(render(answer))
        # long verbatim quotes may be cut on a chat platform, always visibly: compare their start
        missing = [p for p in expected if " ".join(p.split())[:80] not in shown]
        assert missing == [], f"{platform}: {missing}"
