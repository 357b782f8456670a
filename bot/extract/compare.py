"""How much of a hand-curated digest a machine draft recovers: quote and region-claim recall.

A curated quote is recovered when a drafted quote has the same speaker and words overlapping
with a token Dice of at least 0.5 (the PolNeAR scorer's content criterion); "content only"
drops the speaker condition. A curated region claim is recovered when a drafted claim names the
same region with the same claim type; "region only" drops the claim type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core.models import ArticleDigest

WORD = re.compile(r"\w+")


def _tokens(text: str) -> set[str]:
    return {w.lower() for w in WORD.findall(text)}


def dice(a: str, b: str) -> float:
    x, y = _tokens(a), _tokens(b)
    return 2 * len(x & y) / (len(x) + len(y)) if x and y else 0.0


@dataclass(frozen=True, slots=True)
class Recall:
    found: int
    total: int

    @property
    def value(self) -> float:
        return self.found / self.total if self.total else 1.0

    def __str__(self) -> str:
        return f"{self.found}/{self.total} = {self.value:.2f}"


@dataclass(frozen=True, slots=True)
class Comparison:
    quotes: Recall  # speaker and words
    quote_content: Recall  # words only
    claims: Recall  # region and claim type
    claim_regions: Recall  # region only
    key_points: Recall  # curated key point sentences among the drafted ones (Dice >= 0.5)


def compare(draft: ArticleDigest, curated: ArticleDigest) -> Comparison:
    def quote_found(quote, same_speaker: bool) -> bool:
        return any(
            dice(q.words.text, quote.words.text) >= 0.5 and (not same_speaker or q.speaker == quote.speaker)
            for q in draft.quotes
        )

    drafted_claims = {(c.region, c.claim) for c in draft.claims}
    drafted_regions = {c.region for c in draft.claims}
    return Comparison(
        quotes=Recall(sum(quote_found(q, True) for q in curated.quotes), len(curated.quotes)),
        quote_content=Recall(sum(quote_found(q, False) for q in curated.quotes), len(curated.quotes)),
        claims=Recall(sum((c.region, c.claim) in drafted_claims for c in curated.claims), len(curated.claims)),
        claim_regions=Recall(sum(c.region in drafted_regions for c in curated.claims), len(curated.claims)),
        key_points=Recall(
            sum(
                any(dice(k.evidence.text, d.evidence.text) >= 0.5 for d in draft.key_points) for k in curated.key_points
            ),
            len(curated.key_points),
        ),
    )
