"""Discord renderer: limits, paging at item boundaries, quotes, sources, no pings, spec validity."""

from __future__ import annotations

import dataclasses
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.models import (
    ContradictionsAnswer,
    HelpAnswer,
    NotFound,
    Notice,
    QuoteKind,
    QuotesAnswer,
    Review,
    SourcesAnswer,
    UsageError,
)
from bot.render.discord_embeds import (
    ALLOWED_MENTIONS_NONE,
    PAGE_BUDGET,
    escape,
    message_chars,
    quoted,
    render,
)
from tests.frontends.discord import factories as f
from tests.frontends.discord.limits import check_message
from tests.frontends.discord.openapi import spec_validator


def assert_valid(rendered) -> None:
    """Every page is a valid message body for Discord and inside its limits."""
    for page in rendered.pages:
        body = page.body()
        assert check_message(body, "page") == []
        assert spec_validator().validate_schema("MessageCreateRequest", body) is None
        assert body["allowed_mentions"] == {"parse": []}


def unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def test_quotes_answer_has_quotation_marks_source_link_and_date() -> None:
    rendered = render(f.quotes_answer(2))
    assert rendered.page_count == 1
    embed = rendered.pages[0].embeds[0]
    assert embed["title"] == "Dmitry Peskov, Kremlin spokesman"
    text = embed["description"]
    assert "“Russia will never give up these lands (1)”" in text
    assert "[Reuters](https://example.org/news/1) · 29 Sep 2022" in text
    assert "Kremlin spokesman Dmitry Peskov" in text
    assert_valid(rendered)


def test_indirect_quote_is_labelled_as_reported_speech() -> None:
    answer = QuotesAnswer(f.PESKOV, (f.quote(1, "Russia has no plans", kind=QuoteKind.INDIRECT),))
    text = render(answer).pages[0].embeds[0]["description"]
    assert "said (reported speech):\n“Russia has no plans”" in text


def test_status_groups_claims_by_source_with_evidence() -> None:
    rendered = render(f.status_answer())
    text = rendered.pages[0].embeds[0]["description"]
    assert rendered.pages[0].embeds[0]["title"].startswith("Donetsk Oblast (UA-14)")
    assert "**According to Reuters**" in text
    assert "**Russia annexed it, 30 Sep 2022**" in text
    assert "“Russia proclaimed the annexation of four regions”" in text
    assert "**Contradictions**" in text and "↔" in text
    assert_valid(rendered)


def test_unreviewed_content_is_labelled() -> None:
    answer = QuotesAnswer(f.PESKOV, (f.quote(1, source=f.source(1, Review.DRAFT)),))
    assert "*automatic, not reviewed*" in render(answer).pages[0].embeds[0]["description"]
    digest = render(f.digest_answer()).pages[0].embeds[0]["description"]
    assert "**New, not yet reviewed**" in digest  # the heading says it: no label repeated per article


def test_everyone_inside_a_quote_is_escaped_and_mentions_are_off() -> None:
    answer = QuotesAnswer(f.PESKOV, (f.quote(1, "Hello @everyone and <@123> and @here"),))
    page = render(answer).pages[0]
    text = page.embeds[0]["description"]
    assert "@everyone" not in text.replace("\\@everyone", "")
    assert "\\@everyone" in text and "\\<\\@123\\>" in text
    assert unescape(text).count("Hello @everyone and <@123> and @here") == 1
    assert page.body()["allowed_mentions"] == ALLOWED_MENTIONS_NONE


def test_markdown_in_article_text_cannot_restyle_or_link() -> None:
    answer = QuotesAnswer(f.PESKOV, (f.quote(1, "**bold** [click](https://evil.example) `code`"),))
    text = render(answer).pages[0].embeds[0]["description"]
    assert "\\*\\*bold\\*\\*" in text and "\\[click\\]" in text and "\\`code\\`" in text


def test_long_answer_is_paged_at_item_boundaries_without_cutting_quotes() -> None:
    words = "The front line moved again near the city, officials said " * 4
    answer = f.quotes_answer(60, words.strip())
    rendered = render(answer)
    assert rendered.page_count > 3
    assert rendered.rerun == ("quote", (("speaker", "dmitry-peskov"),))
    seen = []
    for n, page in enumerate(rendered.pages, start=1):
        embed = page.embeds[0]
        assert len(embed["description"]) <= PAGE_BUDGET
        assert embed["footer"]["text"].startswith(f"Page {n} of {rendered.page_count}")
        assert message_chars(page) <= 6000
        seen += [q for q in re.findall(r"“([^”]*)”", embed["description"]) if q.startswith("The front")]
    assert len(seen) == 60  # every quote exactly once, whole
    assert all(s.endswith(")") and "✂" not in s for s in seen)
    assert_valid(rendered)


def test_section_heading_repeats_when_a_page_breaks_inside_it() -> None:
    rendered = render(f.status_answer(claims_per_source=40))
    assert rendered.page_count > 1
    assert "**According to Reuters (continued)**" in rendered.pages[1].embeds[0]["description"]


def test_a_quote_longer_than_a_page_is_cut_with_a_visible_marker() -> None:
    long_words = "word " * 2000
    rendered = render(QuotesAnswer(f.PESKOV, (f.quote(1, long_words),)))
    text = rendered.pages[0].embeds[0]["description"]
    assert "✂ [cut:" in text and "full text at the source]”" in text
    assert "[Reuters](https://example.org/news/1)" in text  # the source survives the cut
    assert_valid(rendered)


@settings(max_examples=60, deadline=None)
@given(text=st.text(min_size=1, max_size=3000), limit=st.integers(min_value=80, max_value=3000))
def test_quoted_never_exceeds_its_limit_and_marks_every_cut(text: str, limit: int) -> None:
    out = quoted(text, limit)
    assert len(out) <= limit
    assert out.startswith("“") and out.endswith("”")
    normal = " ".join(text.split())
    if unescape(out[1:-1]) != normal:
        assert "✂ [cut:" in out
        assert normal.startswith(unescape(out[1:].split(" … ✂")[0]).rstrip())


def test_errors_are_short_and_ephemeral() -> None:
    nf = render(NotFound("region", "Donetzk", ("Donetsk Oblast", "Luhansk Oblast")))
    assert nf.ephemeral and nf.pages[0].content == (
        "Unknown region “Donetzk”. Did you mean: Donetsk Oblast, Luhansk Oblast?"
    )
    usage = render(UsageError("/status needs a region", "/status REGION"))
    assert usage.ephemeral and usage.pages[0].content.endswith("Usage: `/status REGION`")
    assert render(Notice("done")).ephemeral is False
    assert render(Notice("no", ok=False)).ephemeral is True


def test_empty_answers_say_so() -> None:
    assert "No contradictions recorded." in render(ContradictionsAnswer(None, ())).pages[0].embeds[0]["description"]
    assert "No articles stored yet." in render(SourcesAnswer(())).pages[0].embeds[0]["description"]


def test_digest_sections_and_sources() -> None:
    rendered = render(f.digest_answer(3))
    text = rendered.pages[0].embeds[0]["description"]
    for heading in ("Key points", "Regions", "Notable quotes", "Sources"):
        assert f"**{heading}**" in text
    assert rendered.pages[0].embeds[0]["title"] == "Digest for 30 Sep 2022"
    assert "[Article number 1 about the war](https://example.org/news/1)" in text
    assert_valid(rendered)


def test_help_is_ephemeral_and_lists_commands() -> None:
    rendered = render(HelpAnswer((("/status REGION", "Who controls a region"),)))
    assert rendered.ephemeral
    assert "`/status REGION` — Who controls a region" in rendered.pages[0].embeds[0]["description"]


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://x", ""])
def test_non_web_urls_are_not_linked(url: str) -> None:
    src = f.source(1)
    bad = type(src)(**{**{k: getattr(src, k) for k in src.__slots__}, "url": url})
    text = render(QuotesAnswer(f.PESKOV, (f.quote(1, source=bad),))).pages[0].embeds[0]["description"]
    assert "](" not in text


def test_escape_keeps_plain_text_plain() -> None:
    assert escape("Donetsk Oblast, 30 Sep") == "Donetsk Oblast, 30 Sep"


@settings(max_examples=40, deadline=None)
@given(
    texts=st.lists(st.text(min_size=1, max_size=5000), min_size=0, max_size=60),
    publisher=st.text(min_size=1, max_size=300),
)
def test_any_quotes_answer_fits_discord_and_keeps_every_quote(texts: list[str], publisher: str) -> None:
    src = dataclasses.replace(f.source(1), publisher=publisher)
    answer = QuotesAnswer(f.PESKOV, tuple(f.quote(i, t, source=src) for i, t in enumerate(texts)))
    rendered = render(answer)
    assert_valid(rendered)
    shown = "".join(page.embeds[0].get("description", "") for page in rendered.pages)
    assert shown.count(" said:\n“") == len(texts)  # every quote shown exactly once
