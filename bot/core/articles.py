"""Writes to `articles` and to the content curated from each: the one module that owns them.

Digest files (curated or drafted) replace an article's curated content in one transaction;
ingestion (`save_ingested`) writes fetched articles and the addresses they were reached by.
Keeping both here means one place decides which columns a digest owns and which ingestion owns.
It also reads one article back as a drafter needs it (`article_source`, `article_with_text`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlite_utils

from bot.core.db import Store, insert_sql, upsert
from bot.core.models import (
    ArticleDigest,
    ArticleMeta,
    Contradiction,
    ItemReview,
    ItemState,
    KeyPoint,
    Quote,
    RegionClaim,
    Review,
    Span,
)
from bot.core.schema import article_handle


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _shown_count(items: tuple[KeyPoint, ...] | tuple[Quote, ...] | tuple[RegionClaim, ...]) -> int:
    return sum(item.review.state != ItemState.REJECTED for item in items)


@dataclass(frozen=True, slots=True)
class DigestRows:
    """The rows one digest file writes, as plain values per table: made where the file is parsed
    (a loader's worker process), so the one writer only executes them."""

    article_id: str
    tables: tuple[tuple[str, tuple[str, ...], tuple[tuple[Any, ...], ...]], ...]  # (table, columns, rows)


def digest_rows(digest: ArticleDigest, digest_hash: str, loaded_at: str) -> DigestRows:
    """The rows of `digest` for `write_rows`."""
    tables = _rows(digest, digest_hash, loaded_at)
    return DigestRows(
        digest.meta.id,
        tuple(
            (table, tuple(rows[0]), tuple(tuple(r.values()) for r in rows)) for table, rows in tables.items() if rows
        ),
    )


def _rows(digest: ArticleDigest, digest_hash: str, loaded_at: str) -> dict[str, list[dict]]:
    meta = digest.meta
    published = meta.published.isoformat()
    aid = meta.id

    def base(item_id: str, seq: int, review: ItemReview) -> dict:
        return {
            "id": f"{aid}#{item_id}",
            "article_id": aid,
            "seq": seq,
            "published": published,
            "state": review.state.value,
            "reviewed_by": review.by,
            "reviewed_at": review.at.isoformat() if review.at else None,
        }

    items: tuple[KeyPoint | Quote | RegionClaim | Contradiction, ...] = (
        *digest.key_points,
        *digest.quotes,
        *digest.claims,
        *digest.contradictions,
    )

    article = {
        "id": aid,
        "handle": article_handle(aid),
        "title": meta.title,
        "publisher": meta.publisher,
        "author": meta.author,
        "published": published,
        "url": meta.url,
        "language": meta.language,
        "text": digest.text,
        "review": digest.review.value,
        "digest_file": digest.source_file,
        "digest_hash": digest_hash,
        "content_hash": text_hash(digest.text),
        "story_id": aid,  # its own story, unless ingestion linked it to another (kept on reload)
        "loaded_at": loaded_at,
        # what listings count is what answers show: a rejected item is not counted
        "key_point_count": _shown_count(digest.key_points),
        "quote_count": _shown_count(digest.quotes),
        "claim_count": _shown_count(digest.claims),
        "pending": sum(item.review.state == ItemState.UNDECIDED for item in items),
    }
    key_points = [
        base(k.id, i, k.review) | {"text": k.evidence.text, "start": k.evidence.start, "end": k.evidence.end}
        for i, k in enumerate(digest.key_points)
    ]
    quotes = [
        base(q.id, i, q.review)
        | {
            "speaker_id": q.speaker,
            "mention": q.mention,
            "role": q.role,
            "kind": q.kind.value,
            "text": q.words.text,
            "start": q.words.start,
            "end": q.words.end,
            "via": q.via,
            "cue": q.cue,
            "said_on": q.said_on.isoformat() if q.said_on else None,
            "confidence": q.confidence,
        }
        for i, q in enumerate(digest.quotes)
    ]
    claims = [
        base(c.id, i, c.review)
        | {
            "region": c.region,
            "claim": c.claim.value,
            "actor": c.actor,
            "asserted_by": c.asserted_by,
            "text": c.evidence.text,
            "start": c.evidence.start,
            "end": c.evidence.end,
            "date": c.date.isoformat() if c.date else None,
            "date_precision": c.date_precision,
            "date_text": c.date_text,
            "via": c.via,
            "place": c.place,
            "confidence": c.confidence,
        }
        for i, c in enumerate(digest.claims)
    ]
    contradictions = [
        base(c.id, i, c.review)
        | {
            "regions": json.dumps(list(c.regions)),
            "a_text": c.a.text,
            "a_start": c.a.start,
            "a_end": c.a.end,
            "b_text": c.b.text,
            "b_start": c.b.start,
            "b_end": c.b.end,
            "why": c.why,
            "confirmed": int(c.confirmed),
        }
        for i, c in enumerate(digest.contradictions)
    ]
    contradiction_regions = [
        {"contradiction_id": f"{aid}#{c.id}", "region": r, "published": published}
        for c in digest.contradictions
        for r in c.regions
    ]
    return {
        "articles": [article],
        "key_points": key_points,
        "quotes": quotes,
        "region_claims": claims,
        "contradictions": contradictions,
        "contradiction_regions": contradiction_regions,
    }


CONTENT_TABLES = ("key_points", "quotes", "region_claims", "contradictions")


def _delete_content(db: sqlite_utils.Database, article_id: str) -> None:
    db.conn.execute(
        "DELETE FROM contradiction_regions WHERE contradiction_id IN "
        "(SELECT id FROM contradictions WHERE article_id = ?)",
        [article_id],
    )
    for table in CONTENT_TABLES:
        db.conn.execute(f"DELETE FROM {table} WHERE article_id = ?", [article_id])


def _insert_sql(table: str, columns: tuple[str, ...]) -> str:
    if table == "articles":
        # Upserted on the columns a digest owns: what ingestion keeps on the row stays, and so
        # does a story link ingestion made.
        return insert_sql(table, columns, "id", keep_stored=("story_id",))
    return insert_sql(table, columns)


def write_digest(store: Store, digest: ArticleDigest, digest_hash: str, loaded_at: str) -> None:
    """Replace one article and all its curated content, in one transaction (see `write_rows`)."""
    write_rows(store, digest_rows(digest, digest_hash, loaded_at))


def write_rows(store: Store, rows: DigestRows) -> None:
    """Replace one article and all its curated content, in one transaction.

    Columns that ingestion keeps on the article row (raw page, fetch status, story link) are
    preserved: the article row is upserted on the columns a digest owns, and only its content
    rows are replaced. Rows go in through prepared statements on sqlite-utils' connection:
    `Table.insert_all` introspects the table on every call (dozens of queries per article),
    which alone would cap loading below 1,000 articles/s.
    """
    with store.transaction() as db:
        conn = db.conn
        for table, columns, values in rows.tables:
            if table == "articles":
                # A new article has no content to delete (its rows reference the article row):
                # one lookup instead of a delete per content table.
                stored = conn.execute("SELECT 1 FROM articles WHERE id = ?", [rows.article_id]).fetchone()
                conn.execute(_insert_sql(table, columns), values[0])
                if stored is not None:
                    _delete_content(db, rows.article_id)
            else:
                conn.executemany(_insert_sql(table, columns), values)


def delete_article(store: Store, article_id: str) -> None:
    """Remove an article, its content and the addresses it was reached by."""
    with store.transaction() as db:
        _delete_content(db, article_id)
        db.conn.execute("DELETE FROM article_urls WHERE article_id = ?", [article_id])
        db.conn.execute("DELETE FROM articles WHERE id = ?", [article_id])


def forget_digest_file(store: Store, article_id: str) -> str:
    """The digest file of an article is gone: remove what the file contributed.

    An article that was ingested (fetched, with its page kept) stays, listed as not yet reviewed
    with no curated content: it is still a stored article, and dropping it would also drop the
    addresses that stop it from being ingested again as new. An article that only ever came from
    its file goes with it. Returns "unlisted" or "removed"."""
    row = store.one("SELECT fetched_at FROM articles WHERE id = ?", [article_id])
    if row is None:
        return "removed"
    if not row[0]:
        delete_article(store, article_id)
        return "removed"
    with store.transaction() as db:
        _delete_content(db, article_id)
        db.conn.execute(
            "UPDATE articles SET review = 'none', digest_file = NULL, digest_hash = NULL,"
            " key_point_count = 0, quote_count = 0, claim_count = 0, pending = 0 WHERE id = ?",
            [article_id],
        )
    return "unlisted"


def loaded_hashes(store: Store, digest_files: list[str]) -> dict[str, str]:
    """The digest hash of the article loaded from each of these file names, where there is one
    (read from an index that holds both, so the article rows are not read)."""
    out: dict[str, str] = {}
    for start in range(0, len(digest_files), 500):
        chunk = digest_files[start : start + 500]
        marks = ",".join("?" * len(chunk))
        cursor = store.execute(f"SELECT digest_file, digest_hash FROM articles WHERE digest_file IN ({marks})", chunk)
        out.update((str(name), str(h)) for name, h in cursor)
    return out


def loaded_file_names(store: Store) -> Iterator[tuple[str, str]]:
    """(digest file name, article id) of every article loaded from a file, in name order, read
    as they are iterated (a million articles are not held)."""
    cursor = store.execute(
        "SELECT digest_file, id FROM articles WHERE digest_file IS NOT NULL AND digest_file != '' ORDER BY digest_file"
    )
    for name, article_id in cursor:
        yield str(name), str(article_id)


def digest_file_of(store: Store, article_id: str) -> str | None:
    """The digest file an article was loaded from, if any."""
    row = store.one("SELECT digest_file FROM articles WHERE id = ?", [article_id])
    return row[0] if row and row[0] else None


# --------------------------------------------------------------------------------------------
# Ingested articles


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


def _row(article: StoredArticle, loaded_at: str) -> dict:
    return {
        "id": article.id,
        "handle": article_handle(article.id),
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


def save_ingested(store: Store, article: StoredArticle, aliases: list[str], *, replace_text: bool = True) -> None:
    """Write one article and its addresses in one transaction (all or nothing).

    An article that a person curated (review 'reviewed') keeps its text: the curated spans point
    into it. Only fetch facts are refreshed then. Skeletons and machine drafts take the new text
    (the pipeline redrafts them only when no person touched the file).
    """
    loaded_at = article.fetched_at.isoformat(timespec="seconds")
    row = _row(article, loaded_at)
    with store.transaction() as db:
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
        upsert(db.conn, "articles", [row], pk="id")
        for url in dict.fromkeys(aliases):
            db.conn.execute("INSERT OR IGNORE INTO article_urls (url, article_id) VALUES (?, ?)", [url, article.id])


def add_aliases(store: Store, urls: list[str], article_id: str) -> None:
    """Remember more addresses of a stored article (a duplicate submission, a syndicated URL)."""
    with store.transaction() as db:
        for url in urls:
            db.conn.execute("INSERT OR IGNORE INTO article_urls (url, article_id) VALUES (?, ?)", [url, article_id])


# --------------------------------------------------------------------------------------------
# Reading one article back (for drafting it again)


@dataclass(frozen=True, slots=True)
class ArticleSource:
    """What a draft is made from: a stored article's metadata, text and photo captions."""

    meta: ArticleMeta
    text: str
    captions: tuple[Span, ...]


def _source_of(row: dict[str, Any]) -> ArticleSource:
    text = str(row["text"] or "")
    spans = []
    for start, end in json.loads(row.get("captions") or "[]"):
        spans.append(Span(int(start), int(end), text[int(start) : int(end)]))
    meta = ArticleMeta(
        id=row["id"],
        title=row["title"] or "",
        publisher=row["publisher"] or "",
        published=dt.date.fromisoformat(row["published"]),
        url=row["url"] or "",
        author=row["author"],
        language=row["language"] or "en",
    )
    return ArticleSource(meta, text, tuple(spans))


_SOURCE_COLUMNS = "id, title, publisher, published, url, author, language, text, captions"


def article_source(store: Store, article_id: str) -> ArticleSource | None:
    rows = store.rows(f"SELECT {_SOURCE_COLUMNS} FROM articles WHERE id = ?", [article_id])
    return _source_of(rows[0]) if rows else None


def article_with_text(store: Store, text: str) -> ArticleSource | None:
    """The stored article with exactly this text, if any (drafting it again keeps its id)."""
    rows = store.rows(f"SELECT {_SOURCE_COLUMNS} FROM articles WHERE content_hash = ? LIMIT 1", [text_hash(text)])
    return _source_of(rows[0]) if rows else None


def article_for_handle(store: Store, handle: str) -> str | None:
    """The id of the article a chat control names by its handle (`schema.article_handle`)."""
    rows = store.rows("SELECT id FROM articles WHERE handle = ?", [handle])
    return str(rows[0]["id"]) if rows else None


def article_ids(store: Store) -> list[str]:
    return [r["id"] for r in store.rows("SELECT id FROM articles ORDER BY id")]
