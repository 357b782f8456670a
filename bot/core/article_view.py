"""One article as a page: its cleaned text, every curated span in it, and its items, from the store.

The items are the ones a review shows (`bot.core.review.review_items`: the same summaries,
paragraphs and states), rebuilt from the store's rows rather than from the digest file, so an
article page costs a few indexed reads whatever the size of its file. Readers never see a
rejected item; an editor's view holds every item, for review.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from bot.core.dates import stored_date
from bot.core.db import Store
from bot.core.gazetteer import Gazetteer
from bot.core.models import (
    ArticleAnswer,
    ArticleDigest,
    ArticleMeta,
    ClaimType,
    Contradiction,
    ItemReview,
    ItemState,
    KeyPoint,
    Mark,
    NotFound,
    Quote,
    QuoteKind,
    RegionClaim,
    Review,
    ReviewAnswer,
    SourceRef,
    Span,
)
from bot.core.queries import shown_condition
from bot.core.review import KIND_OF, digest_items, evidence_of, review_items, speaker_choices, state_counts
from bot.core.schema import article_handle
from bot.core.speakers import SpeakerRegistry

_TABLES = (
    ("key_points", "key_points"),
    ("quotes", "quotes"),
    ("region_claims", "claims"),
    ("contradictions", "contradictions"),
)


def _review(row: dict[str, Any]) -> ItemReview:
    at = dt.datetime.fromisoformat(row["reviewed_at"]) if row["reviewed_at"] else None
    return ItemReview(ItemState(row["state"]), row["reviewed_by"], at)


def _span(row: dict[str, Any], prefix: str = "") -> Span:
    return Span(row[f"{prefix}start"], row[f"{prefix}end"], row[f"{prefix}text"])


def _item(section: str, row: dict[str, Any]) -> Any:
    """A stored row as the digest item it was loaded from (what the review functions read)."""
    item_id = row["id"].rsplit("#", 1)[-1]
    if section == "key_points":
        return KeyPoint(item_id, _span(row), _review(row))
    if section == "quotes":
        return Quote(
            item_id,
            row["speaker_id"],
            row["mention"] or "",
            row["role"] or "",
            QuoteKind(row["kind"]),
            _span(row),
            row["via"],
            row["cue"],
            stored_date(row["said_on"]),
            _review(row),
            row["confidence"],
        )
    if section == "claims":
        return RegionClaim(
            item_id,
            row["region"],
            ClaimType(row["claim"]),
            row["actor"],
            row["asserted_by"],
            _span(row),
            stored_date(row["date"]),
            row["date_precision"],
            row["date_text"],
            row["via"],
            row["place"],
            _review(row),
            row["confidence"],
        )
    a = Span(row["a_start"], row["a_end"], row["a_text"])
    b = Span(row["b_start"], row["b_end"], row["b_text"])
    regions = tuple(json.loads(row["regions"] or "[]"))
    return Contradiction(item_id, a, b, row["why"], regions, bool(row["confirmed"]), _review(row))


def article_page(
    store: Store,
    gazetteer: Gazetteer,
    speakers: SpeakerRegistry,
    article_id: str,
    *,
    editors_view: bool = False,
    include_drafts: bool = True,
    message: str | None = None,
) -> ArticleAnswer | NotFound:
    """The article's page: every item for an editor; for readers, never a rejected item, and no
    undecided one when drafts are hidden (BRIEFBOT_SHOW_DRAFTS=0)."""
    row = store.rows(
        "SELECT id, title, publisher, author, published, url, language, text, review FROM articles WHERE id = ?",
        [article_id],
    )
    if not row:
        return NotFound("article", article_id[:120])
    a = row[0]
    sections: dict[str, list[Any]] = {}
    shown = "" if editors_view else shown_condition(include_drafts, "t")
    for table, section in _TABLES:
        rows = store.rows(f"SELECT * FROM {table} t WHERE t.article_id = ?{shown} ORDER BY t.seq", [article_id])
        sections[section] = [_item(section, r) for r in rows]
    meta = ArticleMeta(
        a["id"], a["title"] or "", a["publisher"] or "", dt.date.fromisoformat(a["published"]), a["url"] or ""
    )
    review = Review(a["review"] or Review.NONE.value)
    digest = ArticleDigest(
        meta,
        a["text"] or "",
        review,
        tuple(sections["key_points"]),
        tuple(sections["quotes"]),
        tuple(sections["claims"]),
        tuple(sections["contradictions"]),
    )
    ordered = digest_items(digest)
    items = review_items(ordered, digest.text, speakers, gazetteer)
    counts = state_counts(item for _id, _section, item in ordered)
    marks = sorted(
        (
            Mark(span.start, span.end, item_id, KIND_OF[section], item.review.state)
            for item_id, section, item in ordered
            for span in evidence_of(item)
        ),
        key=lambda m: (m.start, -m.end),
    )
    source = SourceRef(meta.id, meta.publisher, meta.title, meta.published, meta.url, review)
    answer = ReviewAnswer(
        source,
        tuple(items),
        tuple(counts.items()),
        message=message,
        handle=article_handle(meta.id),
        speakers=speaker_choices(digest, speakers),
    )
    return ArticleAnswer(answer, digest.text, tuple(marks), a["author"], editors_view)
