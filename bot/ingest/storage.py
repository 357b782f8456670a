"""Storage of ingested articles and followed feeds (tables from store.py's ingest migration).

Owns the SQL of ingestion: one transaction per article (the article row and every address it
was reached by), the near-duplicate index rebuilt from stored signatures, and the `feeds`
table (add / list / remove, conditional-GET validators, failures and next poll time).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
import zlib
from dataclasses import dataclass

import sqlite_utils

from bot.core.models import Review, Span
from bot.ingest.dedupe import StoryIndex, minhash, signature_from_bytes


@dataclass(frozen=True, slots=True)
class StoredArticle:
    """One ingested article as written to the `articles` table."""

    id: str
    title: str
    publisher: str
    author: str | None
    published: dt.date
    date_source: str
    url: str
    canonical_url: str
    language: str
    text: str
    captions: tuple[Span, ...]
    content_hash: str
    story_id: str
    source: str
    raw_document: bytes
    raw_content_type: str
    fetched_at: dt.datetime
    fetch_status: str
    feed_id: int | None
    minhash: bytes


def slug(text: str, limit: int = 48) -> str:
    folded = unicodedata.normalize("NFKD", text)
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch)).lower()
    words = re.findall(r"[a-z0-9]+", folded)
    out = ""
    for w in words:
        if len(out) + len(w) + 1 > limit:
            break
        out = f"{out}-{w}" if out else w
    return out or "article"


def new_article_id(db: sqlite_utils.Database, publisher: str, published: dt.date, title: str) -> str:
    """'2022-12-08-newsweek-kremlin-says-russia-is-done' like the curated digest files; unique."""
    base = f"{published.isoformat()}-{slug(publisher, 24)}-{slug(title, 48)}"
    candidate, n = base, 2
    while db.conn.execute("SELECT 1 FROM articles WHERE id = ?", [candidate]).fetchone():
        candidate = f"{base}-{n}"
        n += 1
    return candidate


def article_by_url(db: sqlite_utils.Database, urls: list[str]) -> dict | None:
    for url in urls:
        row = db.conn.execute(
            "SELECT a.id, a.content_hash, a.story_id, a.review FROM article_urls u"
            " JOIN articles a ON a.id = u.article_id WHERE u.url = ?",
            [url],
        ).fetchone()
        if row:
            return {"id": row[0], "content_hash": row[1], "story_id": row[2], "review": row[3]}
        row = db.conn.execute(
            "SELECT id, content_hash, story_id, review FROM articles WHERE url = ? OR canonical_url = ?",
            [url, url],
        ).fetchone()
        if row:
            return {"id": row[0], "content_hash": row[1], "story_id": row[2], "review": row[3]}
    return None


def article_by_hash(db: sqlite_utils.Database, digest: str) -> dict | None:
    row = db.conn.execute(
        "SELECT id, story_id, publisher FROM articles WHERE content_hash = ? LIMIT 1", [digest]
    ).fetchone()
    return {"id": row[0], "story_id": row[1], "publisher": row[2]} if row else None


def story_of(db: sqlite_utils.Database, article_id: str) -> str:
    row = db.conn.execute("SELECT story_id FROM articles WHERE id = ?", [article_id]).fetchone()
    return (row[0] if row and row[0] else None) or article_id


def article_publisher(db: sqlite_utils.Database, article_id: str) -> str | None:
    row = db.conn.execute("SELECT publisher FROM articles WHERE id = ?", [article_id]).fetchone()
    return row[0] if row else None


def load_story_index(db: sqlite_utils.Database) -> StoryIndex:
    """Signatures of every stored article; curated ones loaded from files get one computed."""
    index = StoryIndex()
    for article_id, signature, text in db.conn.execute("SELECT id, minhash, text FROM articles"):
        if signature is not None:
            index.add(article_id, signature_from_bytes(signature))
        elif text:
            index.add(article_id, minhash(text))
    return index


def _row(article: StoredArticle, loaded_at: str) -> dict:
    return {
        "id": article.id,
        "title": article.title,
        "publisher": article.publisher,
        "author": article.author,
        "published": article.published.isoformat(),
        "date_source": article.date_source,
        "url": article.url,
        "canonical_url": article.canonical_url,
        "language": article.language,
        "text": article.text,
        "captions": json.dumps([[c.start, c.end] for c in article.captions]),
        "review": Review.NONE.value,
        "content_hash": article.content_hash,
        "story_id": article.story_id,
        "source": article.source,
        "raw_document": zlib.compress(article.raw_document, 6),
        "raw_content_type": article.raw_content_type,
        "fetched_at": article.fetched_at.isoformat(timespec="seconds"),
        "fetch_status": article.fetch_status,
        "feed_id": article.feed_id,
        "minhash": article.minhash,
        "loaded_at": loaded_at,
    }


def save_article(
    db: sqlite_utils.Database, article: StoredArticle, aliases: list[str], *, replace_text: bool = True
) -> None:
    """Write one article and its addresses in one transaction (all or nothing).

    An article that a person curated (review 'reviewed') keeps its text: the curated spans point
    into it. Only fetch facts are refreshed then. Skeletons and machine drafts take the new text
    (the pipeline redrafts them only when no person touched the file).
    """
    loaded_at = article.fetched_at.isoformat(timespec="seconds")
    row = _row(article, loaded_at)
    with db.conn:
        db.conn.execute("BEGIN IMMEDIATE")
        existing = db.conn.execute("SELECT review FROM articles WHERE id = ?", [article.id]).fetchone()
        uncurated = (None, "", Review.NONE.value, Review.DRAFT.value)  # a draft is redrafted from the new text
        if existing is not None and (existing[0] not in uncurated or not replace_text):
            keep = {
                "text",
                "captions",
                "content_hash",
                "review",
                "title",
                "publisher",
                "author",
                "published",
                "minhash",
                "story_id",
                "digest_file",
                "digest_hash",
            }
            row = {k: v for k, v in row.items() if k not in keep}
        elif existing is not None and existing[0] == Review.DRAFT.value:
            # The text changes under the draft: forget its file hash so the redraft is reloaded.
            row["digest_hash"] = None
        db["articles"].upsert(row, pk="id")
        for url in dict.fromkeys(aliases):
            db.conn.execute("INSERT OR IGNORE INTO article_urls (url, article_id) VALUES (?, ?)", [url, article.id])


def add_alias_all(db: sqlite_utils.Database, urls: list[str], article_id: str) -> None:
    """Remember more addresses of a stored article (a duplicate submission, a syndicated URL)."""
    with db.conn:
        db.conn.execute("BEGIN IMMEDIATE")
        for url in urls:
            db.conn.execute("INSERT OR IGNORE INTO article_urls (url, article_id) VALUES (?, ?)", [url, article_id])


def raw_document(db: sqlite_utils.Database, article_id: str) -> bytes | None:
    row = db.conn.execute("SELECT raw_document FROM articles WHERE id = ?", [article_id]).fetchone()
    return zlib.decompress(row[0]) if row and row[0] is not None else None


# --------------------------------------------------------------------------------------------
# Feeds


@dataclass(frozen=True, slots=True)
class Feed:
    id: int
    url: str
    title: str | None
    etag: str | None
    last_modified: str | None
    added_at: str
    last_polled_at: str | None
    next_poll_at: str | None
    failures: int
    last_error: str | None
    last_status: str | None


def _feed(row: dict) -> Feed:
    return Feed(
        id=row["id"],
        url=row["url"],
        title=row.get("title"),
        etag=row.get("etag"),
        last_modified=row.get("last_modified"),
        added_at=row.get("added_at") or "",
        last_polled_at=row.get("last_polled_at"),
        next_poll_at=row.get("next_poll_at"),
        failures=int(row.get("failures") or 0),
        last_error=row.get("last_error"),
        last_status=row.get("last_status"),
    )


def add_feed(db: sqlite_utils.Database, url: str, now: dt.datetime) -> tuple[Feed, bool]:
    """Follow a feed; returns (feed, created). Adding a followed feed again changes nothing."""
    existing = db.conn.execute("SELECT id FROM feeds WHERE url = ?", [url]).fetchone()
    if existing:
        return get_feed(db, existing[0]), False  # type: ignore[return-value]
    with db.conn:
        db.conn.execute("BEGIN IMMEDIATE")
        db["feeds"].insert(
            {
                "url": url,
                "added_at": now.isoformat(timespec="seconds"),
                "failures": 0,
                "next_poll_at": now.isoformat(timespec="seconds"),
            }
        )
        feed_id = db.conn.execute("SELECT id FROM feeds WHERE url = ?", [url]).fetchone()[0]
    return get_feed(db, feed_id), True  # type: ignore[return-value]


def get_feed(db: sqlite_utils.Database, feed_id: int) -> Feed | None:
    rows = list(db["feeds"].rows_where("id = ?", [feed_id]))
    return _feed(rows[0]) if rows else None


def find_feed(db: sqlite_utils.Database, id_or_url: str) -> Feed | None:
    if id_or_url.isdigit():
        return get_feed(db, int(id_or_url))
    rows = list(db["feeds"].rows_where("url = ?", [id_or_url]))
    return _feed(rows[0]) if rows else None


def list_feeds(db: sqlite_utils.Database) -> list[Feed]:
    return [_feed(r) for r in db["feeds"].rows_where(order_by="id")]


def remove_feed(db: sqlite_utils.Database, feed_id: int) -> bool:
    """Stop following a feed; its articles stay (they keep feed_id for provenance)."""
    with db.conn:
        db.conn.execute("BEGIN IMMEDIATE")
        cur = db.conn.execute("DELETE FROM feeds WHERE id = ?", [feed_id])
    return cur.rowcount > 0


def due_feeds(db: sqlite_utils.Database, now: dt.datetime) -> list[Feed]:
    stamp = now.isoformat(timespec="seconds")
    return [
        _feed(r) for r in db["feeds"].rows_where("next_poll_at IS NULL OR next_poll_at <= ?", [stamp], order_by="id")
    ]


def record_poll(
    db: sqlite_utils.Database,
    feed_id: int,
    *,
    now: dt.datetime,
    next_poll: dt.datetime,
    status: str,
    error: str | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    title: str | None = None,
) -> None:
    """Remember one poll: validators on success, failure count and reason on failure."""
    update: dict[str, object] = {
        "last_polled_at": now.isoformat(timespec="seconds"),
        "next_poll_at": next_poll.isoformat(timespec="seconds"),
        "last_status": status,
    }
    with db.conn:
        db.conn.execute("BEGIN IMMEDIATE")
        if error is None:
            update |= {"failures": 0, "last_error": None}
            if etag is not None:
                update["etag"] = etag
            if last_modified is not None:
                update["last_modified"] = last_modified
            if title:
                update["title"] = title
        else:
            current = db.conn.execute("SELECT failures FROM feeds WHERE id = ?", [feed_id]).fetchone()
            update |= {"failures": int(current[0] or 0) + 1 if current else 1, "last_error": error}
        db["feeds"].update(feed_id, update)
