"""What ingestion reads from the store, and the `feeds` table it owns.

Lookups for the dedup decisions (by address, by text hash, story of an article), new article ids,
the near-duplicate index rebuilt from stored signatures, and the followed feeds (add / list /
remove, conditional-GET validators, failures and next poll time). Articles themselves are
written by `bot.core.articles`, the one module that writes them.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import zlib
from dataclasses import dataclass

from bot.core.db import Store
from bot.ingest.dedupe import StoryIndex, minhash, signature_from_bytes


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


def new_article_id(store: Store, publisher: str, published: dt.date, title: str) -> str:
    """'2022-12-08-newsweek-kremlin-says-russia-is-done' like the curated digest files; unique."""
    base = f"{published.isoformat()}-{slug(publisher, 24)}-{slug(title, 48)}"
    candidate, n = base, 2
    while store.one("SELECT 1 FROM articles WHERE id = ?", [candidate]):
        candidate = f"{base}-{n}"
        n += 1
    return candidate


def article_by_url(store: Store, urls: list[str]) -> dict | None:
    for url in urls:
        row = store.execute(
            "SELECT a.id, a.content_hash, a.story_id, a.review FROM article_urls u"
            " JOIN articles a ON a.id = u.article_id WHERE u.url = ?",
            [url],
        ).fetchone()
        if row:
            return {"id": row[0], "content_hash": row[1], "story_id": row[2], "review": row[3]}
        row = store.execute(
            "SELECT id, content_hash, story_id, review FROM articles WHERE url = ? OR canonical_url = ?",
            [url, url],
        ).fetchone()
        if row:
            return {"id": row[0], "content_hash": row[1], "story_id": row[2], "review": row[3]}
    return None


def article_by_hash(store: Store, digest: str) -> dict | None:
    row = store.execute(
        "SELECT id, story_id, publisher FROM articles WHERE content_hash = ? LIMIT 1", [digest]
    ).fetchone()
    return {"id": row[0], "story_id": row[1], "publisher": row[2]} if row else None


def story_of(store: Store, article_id: str) -> str:
    row = store.execute("SELECT story_id FROM articles WHERE id = ?", [article_id]).fetchone()
    return (row[0] if row and row[0] else None) or article_id


def article_publisher(store: Store, article_id: str) -> str | None:
    row = store.execute("SELECT publisher FROM articles WHERE id = ?", [article_id]).fetchone()
    return row[0] if row else None


def load_story_index(store: Store) -> StoryIndex:
    """Signatures of every stored article; curated ones loaded from files get one computed."""
    index = StoryIndex()
    for article_id, signature, text in store.execute("SELECT id, minhash, text FROM articles"):
        if signature is not None:
            index.add(article_id, signature_from_bytes(signature))
        elif text:
            index.add(article_id, minhash(text))
    return index


def raw_document(store: Store, article_id: str) -> bytes | None:
    row = store.execute("SELECT raw_document FROM articles WHERE id = ?", [article_id]).fetchone()
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


def add_feed(store: Store, url: str, now: dt.datetime) -> tuple[Feed, bool]:
    """Follow a feed; returns (feed, created). Adding a followed feed again changes nothing."""
    existing = store.one("SELECT id FROM feeds WHERE url = ?", [url])
    if existing:
        return get_feed(store, existing[0]), False  # type: ignore[return-value]
    with store.transaction() as db:
        db.table("feeds").insert(
            {
                "url": url,
                "added_at": now.isoformat(timespec="seconds"),
                "failures": 0,
                "next_poll_at": now.isoformat(timespec="seconds"),
            }
        )
        feed_id = db.conn.execute("SELECT id FROM feeds WHERE url = ?", [url]).fetchone()[0]
    return get_feed(store, feed_id), True  # type: ignore[return-value]


def get_feed(store: Store, feed_id: int) -> Feed | None:
    rows = store.rows("SELECT * FROM feeds WHERE id = ?", [feed_id])
    return _feed(rows[0]) if rows else None


def find_feed(store: Store, id_or_url: str) -> Feed | None:
    if id_or_url.isdigit():
        return get_feed(store, int(id_or_url))
    rows = store.rows("SELECT * FROM feeds WHERE url = ?", [id_or_url])
    return _feed(rows[0]) if rows else None


def list_feeds(store: Store) -> list[Feed]:
    return [_feed(r) for r in store.rows("SELECT * FROM feeds ORDER BY id")]


def remove_feed(store: Store, feed_id: int) -> bool:
    """Stop following a feed; its articles stay (they keep feed_id for provenance)."""
    with store.transaction() as db:
        cur = db.conn.execute("DELETE FROM feeds WHERE id = ?", [feed_id])
    return cur.rowcount > 0


def set_feed_title(store: Store, feed_id: int, title: str) -> None:
    with store.transaction() as db:
        db.conn.execute("UPDATE feeds SET title = ? WHERE id = ?", [title, feed_id])


def make_all_due(store: Store) -> None:
    """Every feed due now (`briefbot feeds poll --all`)."""
    with store.transaction() as db:
        db.conn.execute("UPDATE feeds SET next_poll_at = NULL")


def due_feeds(store: Store, now: dt.datetime) -> list[Feed]:
    stamp = now.isoformat(timespec="seconds")
    return [
        _feed(r)
        for r in store.rows("SELECT * FROM feeds WHERE next_poll_at IS NULL OR next_poll_at <= ? ORDER BY id", [stamp])
    ]


def record_poll(
    store: Store,
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
    with store.transaction() as db:
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
        db.table("feeds").update(feed_id, update)
