"""Test data for the Slack tests: a long article written into the real store."""

from __future__ import annotations

import datetime as dt

from bot.core import articles
from bot.core.db import Store
from bot.core.models import ArticleDigest, ArticleMeta, KeyPoint, Quote, QuoteKind, Review, Span

LONG_ID = "2022-12-09-example-long"


def write_long_article(db: Store, *, quotes: int = 50, giant: int = 0) -> list[str]:
    """An article with `quotes` statements by Dmitry Peskov (~1,200 characters each), plus one of
    `giant` characters when given; returns the words of every quote, in article order."""
    words = [
        f"Statement number {i}: " + ("we will not comment on that matter further " * 27).strip() for i in range(quotes)
    ]
    if giant:
        words.append(("<!everyone> & all of you, read this " * (giant // 36 + 1))[:giant])
    text = "\n\n".join(words)
    spans, pos = [], 0
    for w in words:
        start = text.index(w, pos)
        spans.append(Span(start, start + len(w), w))
        pos = start + len(w)
    digest = ArticleDigest(
        meta=ArticleMeta(
            id=LONG_ID,
            title="A very long briefing",
            publisher="Example News",
            published=dt.date(2022, 12, 9),
            url="https://news.example/long?a=1&b=2",
        ),
        text=text,
        review=Review.REVIEWED,
        key_points=tuple(KeyPoint(f"k{i}", s) for i, s in enumerate(spans[:15])),
        quotes=tuple(
            Quote(f"q{i}", "dmitry-peskov", "Peskov", "Kremlin spokesman", QuoteKind.DIRECT, s)
            for i, s in enumerate(spans)
        ),
    )
    articles.write_digest(db, digest, "test-hash", "2022-12-09T12:00:00+00:00")
    return words
