"""Synthetic articles written into the real store, for end-to-end tests and the benchmark.

Each article's text is built from its sentences, and every quote, key point and claim is a
verbatim span of that text (offsets computed, as the loader would), so the store holds data
exactly shaped like curated digests. Deterministic for a given seed.
"""

from __future__ import annotations

import datetime as dt
import random

import sqlite_utils

from bot.core import store
from bot.core.models import (
    ArticleMeta,
    ClaimType,
    Digest,
    KeyPoint,
    Quote,
    QuoteKind,
    RegionClaim,
    Review,
    Span,
)

SPEAKERS = ("dmitry-peskov", "vladimir-putin", "volodymyr-zelensky", "kremlin", "ukraine")
REGIONS = ("UA-14", "UA-09", "UA-65", "UA-23", "UA-63", "UA-43")
PUBLISHERS = ("Reuters", "Kyiv Independent", "Newsweek", "Associated Press", "BBC")
SENTENCES = (
    "Officials said the front line moved again overnight near the city.",
    "The Kremlin said its forces would continue the operation until its goals were met.",
    "Ukrainian forces said they had retaken several villages after heavy fighting.",
    "Shelling damaged power lines and left thousands of homes without electricity.",
    "Foreign governments said the move was illegitimate and would not be recognised.",
)


class _Text:
    """Appends sentences and returns the span of each, so offsets are exact."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0

    def add(self, sentence: str) -> Span:
        if self.parts:
            self.parts.append(" ")
            self.length += 1
        start = self.length
        self.parts.append(sentence)
        self.length += len(sentence)
        return Span(start, self.length, sentence)

    def text(self) -> str:
        return "".join(self.parts)


def article(
    n: int,
    *,
    day: dt.date,
    quotes: list[tuple[str, str]] | None = None,
    rng: random.Random | None = None,
    review: Review = Review.REVIEWED,
) -> Digest:
    """Article `n` published on `day`; `quotes` as (speaker id, words) or random ones."""
    rng = rng or random.Random(n)
    body = _Text()
    key_points = tuple(KeyPoint(f"k{i}", body.add(rng.choice(SENTENCES))) for i in range(2))
    if quotes is None:
        quotes = [(rng.choice(SPEAKERS), f"We will hold our positions, statement number {n}-{i}") for i in range(2)]
    quote_items = []
    for i, (speaker, words) in enumerate(quotes):
        span = body.add(words)
        body.add("the spokesman said.")
        quote_items.append(
            Quote(f"q{i}", speaker, speaker.replace("-", " ").title(), "", QuoteKind.DIRECT, span, cue="said")
        )
    claims = []
    for i in range(2):
        region = rng.choice(REGIONS)
        span = body.add(f"Russian forces shelled settlements in region {region} on day {n}.")
        claims.append(RegionClaim(f"c{i}", region, ClaimType.SHELLING, "Russia", "article", span, day, "day"))
    meta = ArticleMeta(
        id=f"synthetic-{n:06d}",
        title=f"Synthetic report {n}",
        publisher=PUBLISHERS[n % len(PUBLISHERS)],
        published=day,
        url=f"https://example.org/synthetic/{n}",
    )
    return Digest(
        meta=meta,
        text=body.text(),
        review=review,
        key_points=key_points,
        quotes=tuple(quote_items),
        claims=tuple(claims),
        source_file=f"synthetic-{n:06d}.yaml",
    )


def write(db: sqlite_utils.Database, digests: list[Digest]) -> None:
    for d in digests:
        store.write_digest(db, d, digest_hash=f"h{d.meta.id}", loaded_at="2026-01-01T00:00:00+00:00")


def fill(db: sqlite_utils.Database, count: int, *, start: dt.date = dt.date(2022, 2, 24), seed: int = 7) -> None:
    """`count` synthetic articles, a few a day from `start` on."""
    rng = random.Random(seed)
    write(db, [article(n, day=start + dt.timedelta(days=n // 8), rng=rng) for n in range(count)])
