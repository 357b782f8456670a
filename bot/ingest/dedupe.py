"""Deduplication: canonical URLs, exact content hashes and near-duplicate stories.

Owns the three questions asked of every new article:
1. Have we seen this address? (`canonical_url`: scheme/host lower-cased, default port, fragment
   and tracking parameters such as `utm_*`, `fbclid`, `gclid` dropped, query sorted)
2. Have we seen this exact text? (`content_hash` of the cleaned text, whitespace-folded)
3. Is it the same story as one we have, syndicated or lightly edited? (MinHash over word
   5-shingles, indexed with datasketch's `MinHashLSH`; a Jaccard estimate of 0.7 or more
   links the two articles into one story: several sources, never independent confirmation.)

datasketch is used because it is the maintained, standard MinHash/LSH implementation in Python;
signatures are stored with the article so the index is rebuilt without re-reading texts.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import numpy as np
from datasketch import MinHash, MinHashLSH

from bot.core.articles import text_hash

NUM_PERM = 128
SHINGLE_WORDS = 5
SAME_STORY_JACCARD = 0.7

_TRACKING = re.compile(
    r"^(utm_\w+|fbclid|gclid|dclid|gclsrc|msclkid|mc_cid|mc_eid|igshid|yclid|_ga|_gl|ocid|cmpid|"
    r"ito|smid|smtyp|cid|ns_\w+|at_\w+|share|src|ref|ref_src|referrer|taid|icid|sr_share|__twitter_impression)$",
    re.IGNORECASE,
)
_WORD = re.compile(r"\w+", re.UNICODE)
_SCHEME = MinHash(num_perm=NUM_PERM).scheme  # stored signatures are read back with the same scheme


def canonical_url(url: str) -> str:
    """A stable key for an article address; raises ValueError for a non-http(s) URL."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in {"http", "https"}:
        raise ValueError(f"not an http(s) URL: {url[:200]}")
    host = (parts.hostname or "").lower().rstrip(".")
    if not host:
        raise ValueError(f"URL without a host: {url[:200]}")
    port = parts.port
    netloc = host if port in (None, 80 if scheme == "http" else 443) else f"{host}:{port}"
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k))
    path = parts.path or "/"
    return urlunsplit((scheme, netloc, path, urlencode(query), ""))


def content_hash(text: str) -> str:
    """Hash of the cleaned text, the same as the core's loader writes (`store.text_hash`): the
    cleaner already normalised spaces, so an exact hash finds the same text from anywhere."""
    return text_hash(text)


def minhash(text: str) -> MinHash:
    words = _WORD.findall(unicodedata.normalize("NFKC", text).casefold())
    m = MinHash(num_perm=NUM_PERM)
    if len(words) < SHINGLE_WORDS:
        shingles = {" ".join(words)}
    else:
        shingles = {" ".join(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)}
    m.update_batch([s.encode("utf-8") for s in shingles])
    return m


def signature_bytes(m: MinHash) -> bytes:
    return np.asarray(m.hashvalues, dtype=np.uint64).tobytes()


def signature_from_bytes(data: bytes) -> MinHash:
    return MinHash(num_perm=NUM_PERM, hashvalues=np.frombuffer(data, dtype=np.uint64).copy(), scheme=_SCHEME)


@dataclass(frozen=True, slots=True)
class StoryMatch:
    article_id: str
    jaccard: float


class StoryIndex:
    """Near-duplicate index of stored articles (in memory, rebuilt from stored signatures)."""

    def __init__(self, threshold: float = SAME_STORY_JACCARD) -> None:
        self._lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
        self._signatures: dict[str, MinHash] = {}
        self.threshold = threshold

    def __len__(self) -> int:
        return len(self._signatures)

    def add(self, article_id: str, signature: MinHash) -> None:
        if article_id in self._signatures:
            self._lsh.remove(article_id)
        self._lsh.insert(article_id, signature)
        self._signatures[article_id] = signature

    def remove(self, article_id: str) -> None:
        if article_id in self._signatures:
            self._lsh.remove(article_id)
            del self._signatures[article_id]

    def best_match(self, signature: MinHash, exclude: str | None = None) -> StoryMatch | None:
        """The stored article most similar to `signature` above the threshold, if any."""
        best: StoryMatch | None = None
        for candidate in self._lsh.query(signature):
            if candidate == exclude:
                continue
            score = float(signature.jaccard(self._signatures[candidate]))
            if score >= self.threshold and (best is None or score > best.jaccard):
                best = StoryMatch(candidate, score)
        return best
