"""Block Kit rendering: Slack's limits, mrkdwn escaping, splitting between items, cut markers."""

from __future__ import annotations

import datetime as dt
import json
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.models import (
    ArticleItem,
    BriefingAnswer,
    ClaimItem,
    ClaimType,
    ContradictionItem,
    ContradictionsAnswer,
    HelpAnswer,
    ItemState,
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
    UsageError,
)
from bot.render.slack_blocks import (
    MAX_BLOCKS,
    MAX_HEADER_TEXT,
    MAX_SECTION_TEXT,
    all_texts,
    cut,
    escape_mrkdwn,
    link,
    render_messages,
)

HOSTILE = "<!everyone> <!here> <!channel> <@U123> <!subteam^S1|@team> <http://evil.test|click> &lt; @here"
SOURCE = SourceRef("a1", "Newsweek", "Kremlin <b>Says</b>", dt.date(2022, 12, 8), "https://example.com/a?x=1&y=2")
DRAFT = SourceRef("a2", HOSTILE, HOSTILE, dt.date(2022, 12, 9), "javascript:alert(1)", review=Review.DRAFT)
REGION = RegionInfo("UA-14", "Donetsk")


def quote(words: str, source: SourceRef = SOURCE, speaker: str = "Dmitry Peskov") -> QuoteItem:
    state = ItemState.UNDECIDED if source.review == Review.DRAFT else ItemState.ACCEPTED
    return QuoteItem(speaker, "Peskov", "Kremlin spokesman", QuoteKind.DIRECT, words, source, state=state)


def claim(evidence: str, source: SourceRef = SOURCE) -> ClaimItem:
    state = ItemState.UNDECIDED if source.review == Review.DRAFT else ItemState.ACCEPTED
    return ClaimItem(
        ClaimType.ANNEXED, "Russia", "Russia", evidence, source, dt.date(2022, 9, 30), "month", state=state
    )


def every_answer(text: str) -> list:
    contradiction = ContradictionItem(text, text, text, DRAFT, confirmed=False, state=ItemState.UNDECIDED)
    article = ArticleItem(DRAFT, author=text, other_sources=(text,))
    return [
        StatusAnswer(REGION, (SourceClaims(text, (claim(text), claim(text, DRAFT))),), (contradiction,), text, 2),
        QuotesAnswer(SpeakerInfo("x", text, text), (quote(text), quote(text, DRAFT, speaker=text)), text, 2),
        BriefingAnswer(
            dt.date(2022, 12, 8),
            (article,),
            (),
            (RegionLine(REGION, claim(text)),),
            (quote(text),),
            (contradiction,),
            (article,),
        ),
        ContradictionsAnswer(REGION, (contradiction,)),
        SourcesAnswer((article,), 1),
        HelpAnswer(((f"/status {text}", text),)),
        NotFound("region", text, (text,)),
        UsageError(text, f"/status {text}"),
        Notice(text, ok=False),
    ]


CONTROL = re.compile(r"<(?!https://example\.com/a\?x=1&amp;y=2\|)")  # the only tag we open is our source link


def assert_safe(messages: list) -> None:
    for message in messages:
        assert len(message.blocks) <= MAX_BLOCKS
        assert not CONTROL.search(message.text)
        for block in message.blocks:
            if block["type"] == "header":  # plain_text: Slack never parses it, only the length matters
                assert block["text"]["type"] == "plain_text"
                continue
            for text in all_texts([block]):
                assert not CONTROL.search(text), text
        for block in message.blocks:
            if block["type"] == "section":
                assert len(block["text"]["text"]) <= MAX_SECTION_TEXT
                assert block["text"]["verbatim"] is True
            if block["type"] == "header":
                assert len(block["text"]["text"]) <= MAX_HEADER_TEXT


def test_hostile_text_in_every_field_of_every_answer_is_escaped():
    for answer in every_answer(HOSTILE):
        messages = render_messages(answer)
        assert_safe(messages)
        raw = json.dumps([m.blocks for m in messages])
        assert "link_names" not in raw
        assert "&amp;lt;" in raw or isinstance(answer, HelpAnswer | StatusAnswer)  # a typed &lt; shows as &lt;


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("<>&!@|^#:/ abcUS123\n*_~`")), max_size=400))
def test_any_text_stays_inert(text: str):
    for answer in every_answer(text or "x"):
        assert_safe(render_messages(answer))


def test_escape_and_links():
    assert escape_mrkdwn("a & <b> c") == "a &amp; &lt;b&gt; c"
    assert link("https://x.test/p?a=1&b=<2>|3", "T <i>|") == "<https://x.test/p?a=1&amp;b=%3C2%3E%7C3|T &lt;i&gt;/>"
    assert link("javascript:alert(1)", "click") == "click"
    assert link("https://x.test/a b", "t") == "t"


def test_cut_is_visible_and_counts_escapes():
    text = "&" * 5000
    out = cut(text, 3000)
    assert len(out) <= 3000 and "✂ [cut: " in out and out.startswith("&amp;" * 10)
    assert "&am" not in out.replace("&amp;", "")  # never half an entity
    assert cut("short", 3000) == "short"


def test_ten_thousand_character_quote_is_cut_with_a_marker():
    [message] = render_messages(QuotesAnswer(SpeakerInfo("p", "Peskov"), (quote("word " * 2000),), total=1))
    [section] = [b for b in message.blocks if b["type"] == "section"]
    assert len(section["text"]["text"]) <= MAX_SECTION_TEXT
    assert "more characters — full text at the source]”" in section["text"]["text"]
    assert section["text"]["text"].endswith("|Newsweek, 8 Dec 2022>")  # the source survives the cut


def test_header_is_cut_to_150():
    answer = QuotesAnswer(SpeakerInfo("p", "N" * 400), (quote("w"),), total=1)
    [message] = render_messages(answer)
    assert len(message.blocks[0]["text"]["text"]) == MAX_HEADER_TEXT


def test_split_between_items_and_not_shown_marker():
    items = tuple(quote(f"statement {i} " + "x" * 1400) for i in range(120))
    answer = QuotesAnswer(SpeakerInfo("p", "Peskov"), items, total=120)
    messages = render_messages(answer)
    assert len(messages) > 5
    seen = [i for i in range(120) for m in messages if f"“statement {i} " in json.dumps(m.blocks, ensure_ascii=False)]
    assert seen == list(range(120))  # each statement whole, in exactly one message, in order
    capped = render_messages(answer, max_messages=5)
    assert len(capped) == 5
    last = all_texts(capped[-1].blocks)[-1]
    assert re.fullmatch(r"✂ \d+ more item\(s\) not shown here: ask for a narrower answer\.", last)
    shown = sum(json.dumps(m.blocks, ensure_ascii=False).count("“statement ") for m in capped)
    assert shown + int(last.split()[1]) == 120


def test_errors_are_ephemeral_answers_are_not():
    assert render_messages(NotFound("region", "x"))[0].ephemeral
    assert render_messages(UsageError("bad"))[0].ephemeral
    assert render_messages(Notice("no", ok=False))[0].ephemeral
    assert not render_messages(Notice("subscribed"))[0].ephemeral
    assert not render_messages(SourcesAnswer((), 0))[0].ephemeral


def test_draft_content_is_labelled():
    [message] = render_messages(QuotesAnswer(SpeakerInfo("p", "Peskov"), (quote("w", DRAFT),), total=1))
    assert "_automatic, not reviewed_" in json.dumps(message.blocks)


def test_ten_thousand_characters_in_every_field_keep_every_link_whole():
    huge = ("<!here> " + "x" * 50 + " ") * 170  # ~10,000 characters
    for answer in every_answer(huge):
        messages = render_messages(answer)
        assert_safe(messages)
        for message in messages:
            for text in all_texts(message.blocks):
                assert "[cut]" not in text  # no generic cut: each field was shortened on its own
                assert text.count("<https://") == text.count("|Newsweek, 8 Dec 2022>")  # links stay whole
