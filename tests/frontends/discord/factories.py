"""Answers of the core built directly (renderer tests and limits), with realistic text."""

from __future__ import annotations

import datetime as dt

from bot.core.models import (
    ArticleItem,
    BriefingAnswer,
    ClaimItem,
    ClaimType,
    ContradictionItem,
    ItemState,
    KeyPointItem,
    QuoteItem,
    QuoteKind,
    QuotesAnswer,
    RegionInfo,
    RegionLine,
    Review,
    SourceClaims,
    SourceRef,
    SpeakerInfo,
    StatusAnswer,
)

DAY = dt.date(2022, 9, 30)
DONETSK = RegionInfo("UA-14", "Donetsk Oblast")
PESKOV = SpeakerInfo("dmitry-peskov", "Dmitry Peskov", "Kremlin spokesman")


def source(n: int = 1, review: Review = Review.REVIEWED) -> SourceRef:
    return SourceRef(
        article_id=f"a{n}",
        publisher="Reuters" if n % 2 else "Kyiv Independent",
        title=f"Article number {n} about the war",
        published=DAY - dt.timedelta(days=n % 7),
        url=f"https://example.org/news/{n}",
        review=review,
    )


def quote(n: int = 1, words: str = "Russia will never give up these lands", **kw: object) -> QuoteItem:
    values: dict[str, object] = {
        "speaker": "Dmitry Peskov",
        "mention": "Kremlin spokesman Dmitry Peskov",
        "role": "Kremlin spokesman",
        "kind": QuoteKind.DIRECT,
        "words": words,
        "source": source(n),
    }
    values.update(kw)
    values.setdefault("state", _state(values["source"]))  # type: ignore[arg-type]
    return QuoteItem(**values)  # type: ignore[arg-type]


def _state(src: SourceRef) -> ItemState:
    """Items of a machine draft's article are undecided."""
    return ItemState.UNDECIDED if src.review == Review.DRAFT else ItemState.ACCEPTED


def quotes_answer(count: int = 3, words: str = "Russia will never give up these lands") -> QuotesAnswer:
    items = tuple(quote(n, f"{words} ({n})") for n in range(1, count + 1))
    return QuotesAnswer(speaker=PESKOV, quotes=items, total=count)


def claim(n: int = 1, evidence: str = "Russia proclaimed the annexation of four regions", **kw: object) -> ClaimItem:
    values: dict[str, object] = {
        "claim": ClaimType.ANNEXED,
        "actor": "Russia",
        "asserted_by": "Reuters",
        "evidence": evidence,
        "source": source(n),
        "date": DAY,
        "date_precision": "day",
    }
    values.update(kw)
    values.setdefault("state", _state(values["source"]))  # type: ignore[arg-type]
    return ClaimItem(**values)  # type: ignore[arg-type]


def status_answer(claims_per_source: int = 2) -> StatusAnswer:
    groups = (
        SourceClaims("Reuters", tuple(claim(n) for n in range(1, claims_per_source + 1))),
        SourceClaims(
            "Volodymyr Zelensky",
            (claim(9, "Ukraine will never recognise this", claim=ClaimType.REJECTS_CLAIM, actor="Ukraine"),),
        ),
    )
    return StatusAnswer(
        region=DONETSK,
        by_source=groups,
        contradictions=(ContradictionItem("Donetsk is Russian", "Donetsk is Ukrainian", "who holds it", source(3)),),
        matched_as="Donetsk",
        total_claims=claims_per_source + 1,
    )


def digest_answer(articles: int = 3) -> BriefingAnswer:
    items = tuple(ArticleItem(source(n), key_point_count=1, quote_count=1) for n in range(1, articles + 1))
    return BriefingAnswer(
        day=DAY,
        articles=items,
        key_points=tuple(KeyPointItem(f"Key point {n} of the day", source(n)) for n in range(1, articles + 1)),
        regions=(RegionLine(DONETSK, claim(1)),),
        quotes=(quote(1),),
        contradictions=(),
        unreviewed=(ArticleItem(source(99, Review.DRAFT)),),
    )
