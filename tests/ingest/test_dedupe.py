"""Canonical URLs, content hashes and the near-duplicate story index."""

from __future__ import annotations

import pytest

from bot.ingest.dedupe import (
    StoryIndex,
    canonical_url,
    content_hash,
    minhash,
    signature_bytes,
    signature_from_bytes,
)
from tests.ingest.conftest import WIRE_BODY


@pytest.mark.parametrize(
    "url, canonical",
    [
        ("HTTPS://WWW.Example.com:443/a/b?utm_source=x&b=2&a=1&fbclid=zz#top", "https://www.example.com/a/b?a=1&b=2"),
        ("http://example.com:80", "http://example.com/"),
        ("http://example.com:8080/x?gclid=1&id=7", "http://example.com:8080/x?id=7"),
        ("https://news.example/story?utm_medium=email&utm_campaign=daily", "https://news.example/story"),
    ],
)
def test_canonical_url(url: str, canonical: str) -> None:
    assert canonical_url(url) == canonical


@pytest.mark.parametrize("url", ["ftp://example.com/a", "javascript:alert(1)", "https:///nohost"])
def test_canonical_url_refuses_non_http(url: str) -> None:
    with pytest.raises(ValueError):
        canonical_url(url)


def test_content_hash_is_exact() -> None:
    assert content_hash("A text.") == content_hash("A text.")
    assert content_hash("A text.") != content_hash("A text!")


def test_syndicated_copy_matches_and_unrelated_text_does_not() -> None:
    original = "\n\n".join(WIRE_BODY)
    syndicated = "By Pavel Polityuk\n\n" + original + "\n\nEditing by Tom Balmforth."
    unrelated = (
        "Emirates on Wednesday ordered 30 Boeing 787 Dreamliners in a deal worth $9 billion, and said it "
        "would also buy 50 Airbus A350 jets, as the airline restarts plans to expand in the early 2020s."
    )
    index = StoryIndex()
    index.add("original", minhash(original))
    match = index.best_match(minhash(syndicated))
    assert match is not None and match.article_id == "original" and match.jaccard >= 0.7
    assert index.best_match(minhash(unrelated)) is None
    # a rewritten story (first two paragraphs only) is not the same article
    assert index.best_match(minhash("\n\n".join(WIRE_BODY[:2]))) is None


def test_signature_round_trip_and_remove() -> None:
    signature = minhash("\n\n".join(WIRE_BODY))
    restored = signature_from_bytes(signature_bytes(signature))
    assert restored.jaccard(signature) == 1.0
    index = StoryIndex()
    index.add("a", restored)
    index.remove("a")
    assert len(index) == 0 and index.best_match(signature) is None
