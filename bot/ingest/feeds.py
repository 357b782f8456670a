"""RSS, Atom and JSON feeds: recognising and parsing them (polling is `polling.py`).

Owns `parse_feed` (feedparser: the maintained parser that copes with RSS 0.9x-2.0, Atom,
RDF, JSON Feed, CDATA padding and the date formats outlets really use; JSON Feed read here).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from dataclasses import dataclass
from typing import Any

import feedparser

from bot.ingest.dedupe import canonical_url

FEED_TYPES = {
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/feed+json",
}
_FEED_SNIFF = re.compile(rb"<(rss|feed|rdf:RDF)[\s>]", re.IGNORECASE)
_JSON_FEED_SNIFF = re.compile(rb'"version"\s*:\s*"https?://jsonfeed\.org', re.IGNORECASE)


_BENIGN = (feedparser.NonXMLContentType, feedparser.CharacterEncodingOverride)


class FeedError(ValueError):
    """A document that should be a feed cannot be read as one; one-line reason."""


@dataclass(frozen=True, slots=True)
class FeedEntry:
    link: str
    title: str | None
    published: dt.date | None
    author: str | None


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    title: str | None
    entries: tuple[FeedEntry, ...]


def looks_like_feed(data: bytes, content_type: str = "") -> bool:
    if content_type in FEED_TYPES:
        return True
    head = data[:2048].lstrip()
    if _JSON_FEED_SNIFF.search(head):
        return True
    if content_type in {"text/html", "application/xhtml+xml"}:
        return False
    return bool(_FEED_SNIFF.search(head))


def _entry_date(entry: Any) -> dt.date | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if isinstance(value, time.struct_time):
            return dt.date(value.tm_year, value.tm_mon, value.tm_mday)
    return None


def _unique_entries(candidates: list[FeedEntry]) -> tuple[FeedEntry, ...]:
    entries: list[FeedEntry] = []
    seen: set[str] = set()
    for entry in candidates:
        if not entry.link.startswith(("http://", "https://")):
            continue
        try:
            key = canonical_url(entry.link)
        except ValueError:
            continue
        if key not in seen:
            seen.add(key)
            entries.append(entry)
    return tuple(entries)


def _parse_json_feed(data: bytes) -> ParsedFeed:
    """JSON Feed 1.0/1.1 (jsonfeed.org), which feedparser does not read."""
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FeedError(f"malformed JSON feed: {str(exc)[:120]}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("items"), list):
        raise FeedError("malformed JSON feed: no items list")
    candidates = []
    for item in doc["items"]:
        if not isinstance(item, dict):
            continue
        link = str(item.get("url") or item.get("external_url") or "").strip()
        published = None
        raw_date = str(item.get("date_published") or item.get("date_modified") or "")
        try:
            published = dt.date.fromisoformat(raw_date[:10]) if raw_date else None
        except ValueError:
            published = None
        authors = item.get("authors") or ([item["author"]] if isinstance(item.get("author"), dict) else [])
        names = [str(a.get("name")) for a in authors if isinstance(a, dict) and a.get("name")]
        title = str(item.get("title") or "").strip() or None
        candidates.append(FeedEntry(link, title, published, ", ".join(names) or None))
    title = str(doc.get("title") or "").strip() or None
    return ParsedFeed(title=title, entries=_unique_entries(candidates))


def parse_feed(data: bytes, base_url: str | None = None) -> ParsedFeed:
    """Parse a feed document; entries without an http(s) link are skipped."""
    if not data.strip():
        raise FeedError("empty feed")
    if _JSON_FEED_SNIFF.search(data[:2048]):
        return _parse_json_feed(data)
    parsed = feedparser.parse(data, response_headers={"content-location": base_url} if base_url else None)
    # Complaints about headers or declared encodings are not a broken feed: a quiet feed with no
    # items is still a feed.
    broken = parsed.get("bozo") and not isinstance(parsed.get("bozo_exception"), _BENIGN)
    if broken and not parsed.entries:
        reason = parsed.get("bozo_exception")
        raise FeedError(f"malformed feed: {str(reason).splitlines()[0][:160] if reason else 'unreadable'}")
    if not parsed.get("version") and not parsed.entries:
        raise FeedError("not a feed (no RSS, Atom or JSON Feed structure found)")
    candidates = [
        FeedEntry(
            link=(entry.get("link") or "").strip(),
            title=(entry.get("title") or "").strip() or None,
            published=_entry_date(entry),
            author=(entry.get("author") or "").strip() or None,
        )
        for entry in parsed.entries
    ]
    entries = _unique_entries(candidates)
    if broken and not entries:
        reason = parsed.get("bozo_exception")
        raise FeedError(f"malformed feed: {str(reason).splitlines()[0][:160] if reason else 'unreadable'}")
    title = (parsed.feed.get("title") or "").strip() or None
    return ParsedFeed(title=title, entries=entries)
