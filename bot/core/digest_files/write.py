"""Writing digest files: an ArticleDigest as YAML (+ its text file) that reads back to the same digest."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from bot.core.digest_files.schema import FORMAT_VERSION
from bot.core.models import ArticleDigest, ItemReview, Review


def _plain(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v not in (None, "", [])}


def review_data(review: ItemReview) -> dict[str, Any]:
    """An item's `review:` block as written in its digest file."""
    data: dict[str, Any] = {"state": review.state.value}
    if review.by:
        data["by"] = review.by
    if review.at:
        data["at"] = review.at.isoformat(timespec="seconds")
    if review.was:
        data["was"] = dict(review.was)
    if review.history:
        data["history"] = [
            {"state": h.state.value, "by": h.by, "at": h.at.isoformat(timespec="seconds")} for h in review.history
        ]
    return data


def digest_to_data(digest: ArticleDigest) -> dict[str, Any]:
    m = digest.meta

    def reviewed(item: dict[str, Any], review: ItemReview) -> dict[str, Any]:
        # Only a person's decision is written: an item without one takes the file's review
        # (undecided in a machine draft, accepted in a person's file).
        if review.by is not None:
            item["review"] = review_data(review)
        return item

    return {
        "format": FORMAT_VERSION,
        "id": m.id,
        "review": digest.review.value,
        "article": _plain(
            {
                "title": m.title,
                "publisher": m.publisher,
                "author": m.author,
                "published": m.published,
                "url": m.url,
                "language": m.language,
                "text_file": f"{m.id}.txt",
            }
        ),
        "captions": [c.text for c in digest.captions],
        "key_points": [reviewed({"id": k.id, "evidence": k.evidence.text}, k.review) for k in digest.key_points],
        "quotes": [
            reviewed(
                _plain(
                    {
                        "id": q.id,
                        "speaker": q.speaker,
                        "mention": q.mention,
                        "role": q.role,
                        "kind": q.kind.value,
                        "cue": q.cue,
                        "words": q.words.text,
                        "via": q.via,
                        "said_on": q.said_on.isoformat() if q.said_on else None,
                        "confidence": q.confidence,
                    }
                ),
                q.review,
            )
            for q in digest.quotes
        ],
        "claims": [
            reviewed(
                _plain(
                    {
                        "id": c.id,
                        "region": c.place or c.region,
                        "claim": c.claim.value,
                        "actor": c.actor,
                        "asserted_by": c.asserted_by,
                        "via": c.via,
                        "evidence": c.evidence.text,
                        "when": c.date_text or (c.date.isoformat() if c.date else None),
                        "confidence": c.confidence,
                    }
                ),
                c.review,
            )
            for c in digest.claims
        ],
        "contradictions": [
            reviewed(
                _plain(
                    {
                        "id": x.id,
                        "a": x.a.text,
                        "b": x.b.text,
                        "why": x.why,
                        "regions": list(x.regions),
                        "confirmed": None if x.confirmed else False,
                    }
                ),
                x.review,
            )
            for x in digest.contradictions
        ],
    }


HEADER = (
    "# briefbot digest file (format 1): see summaries/README.md.\n"
    "# Every evidence, words, a and b value must be copied verbatim from the .txt file beside this one.\n"
)


def digest_yaml() -> YAML:
    """The one YAML emitter of digest files (machine drafts and editors' decisions alike), so a
    decision rewrites only the lines of the items it touches: one line per value, no folding
    (a folded line of an article's words is harder to compare with the text), lists at their
    key's indentation."""
    emitter = YAML(typ="rt")
    emitter.preserve_quotes = True
    emitter.width = 1_000_000
    emitter.indent(mapping=2, sequence=2, offset=0)
    emitter.allow_unicode = True
    return emitter


def dump_digest(digest: ArticleDigest) -> str:
    """The digest as a digest file (YAML); `read_digest` of the result gives the digest back."""
    data = digest_to_data(digest)
    notes = {
        Review.DRAFT: "# review: draft = made by a machine, not reviewed by a person.\n",
        Review.NONE: "# review: none = ingested, not yet curated: fill the sections, then set review.\n",
    }
    note = notes.get(digest.review, "")
    buffer = io.StringIO()
    digest_yaml().dump(data, buffer)
    return HEADER + note + buffer.getvalue()


def write_digest_files(digest: ArticleDigest, directory: Path) -> Path:
    """Write NAME.yaml and NAME.txt; returns the YAML path."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{digest.meta.id}.txt").write_text(digest.text, "utf-8")
    path = directory / f"{digest.meta.id}.yaml"
    path.write_text(dump_digest(digest), "utf-8")
    return path


_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(*parts: str) -> str:
    """'2022-12-08', 'Newsweek', 'Kremlin Says...' -> '2022-12-08-newsweek-kremlin-says'."""
    out = "-".join(_SLUG.sub("-", p.lower()).strip("-") for p in parts if p)
    return out[:100].strip("-")
