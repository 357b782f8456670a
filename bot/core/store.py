"""The SQLite store: schema, migrations (`PRAGMA user_version`), connections and writes.

One database file holds articles, their curated (or drafted) content, speakers and
subscriptions. Writes go through sqlite-utils, one transaction per article, so a reader never
sees half an article. Queries live in `queries.py`; this module owns the shape of the data.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterable
from pathlib import Path

import sqlite_utils

from bot.core.models import ArticleDigest

SCHEMA_VERSION = 3


class StoreError(RuntimeError):
    """The database cannot be used as it is (too new, unreadable); the message says why."""


def _migrate_to_1(db: sqlite_utils.Database) -> None:
    db["articles"].create(
        {
            "id": str,
            "title": str,
            "publisher": str,
            "author": str,
            "published": str,  # ISO date
            "url": str,
            "language": str,
            "text": str,
            "review": str,  # reviewed | draft | none
            "digest_file": str,
            "digest_hash": str,  # hash of the digest file + text: reload skips unchanged files
            "content_hash": str,  # hash of the cleaned text: exact-duplicate detection
            "story_id": str,  # syndicated copies of one story share it
            "loaded_at": str,
            # Counts kept on the row so listings need no per-article aggregate queries.
            "key_point_count": int,
            "quote_count": int,
            "claim_count": int,
        },
        pk="id",
    )
    # Listings read newest first, then by outlet: this index serves their ORDER BY with no sort.
    db.execute("CREATE INDEX idx_articles_listing ON articles (published DESC, publisher, id)")
    db["articles"].create_index(["loaded_at"])
    db["articles"].create_index(["review", "published"])
    db["articles"].create_index(["story_id"])
    db["articles"].create_index(["content_hash"])
    db["articles"].create_index(["digest_file"])
    db["speakers"].create(
        {
            "id": str,
            "name": str,
            "kind": str,  # person | organisation | government | outlet
            "role": str,
            "aliases": str,  # JSON list
            "draft": int,  # 1: added by the extractor, not reviewed
        },
        pk="id",
    )
    common = {"article_id": str, "seq": int, "published": str}
    db["key_points"].create(
        {"id": str, **common, "text": str, "start": int, "end": int},
        pk="id",
        foreign_keys=[("article_id", "articles", "id")],
    )
    db["quotes"].create(
        {
            "id": str,
            **common,
            "speaker_id": str,
            "mention": str,
            "role": str,
            "kind": str,
            "text": str,
            "start": int,
            "end": int,
            "via": str,
            "cue": str,
            "said_on": str,
        },
        pk="id",
        foreign_keys=[("article_id", "articles", "id")],
    )
    db["region_claims"].create(
        {
            "id": str,
            **common,
            "region": str,
            "claim": str,
            "actor": str,
            "asserted_by": str,
            "text": str,
            "start": int,
            "end": int,
            "date": str,
            "date_precision": str,
            "date_text": str,
            "via": str,
            "place": str,
        },
        pk="id",
        foreign_keys=[("article_id", "articles", "id")],
    )
    db["contradictions"].create(
        {
            "id": str,
            **common,
            "regions": str,  # JSON list of ISO codes
            "a_text": str,
            "a_start": int,
            "a_end": int,
            "b_text": str,
            "b_start": int,
            "b_end": int,
            "why": str,
            "confirmed": int,
        },
        pk="id",
        foreign_keys=[("article_id", "articles", "id")],
    )
    # The hot paths: one region's claims and one speaker's quotes, newest first, in article
    # order within a day. Each index matches its query's ORDER BY exactly, so a query reads only
    # the rows it returns (LIMIT) however many the region or speaker has.
    db.execute("CREATE INDEX idx_quotes_speaker ON quotes (speaker_id, published DESC, article_id, seq)")
    db["quotes"].create_index(["article_id"])
    db.execute("CREATE INDEX idx_claims_region ON region_claims (region, published DESC, article_id, seq)")
    db["region_claims"].create_index(["article_id"])
    db["key_points"].create_index(["article_id"])
    db["contradictions"].create_index(["article_id"])
    db.execute("CREATE INDEX idx_contradictions_newest ON contradictions (published DESC, article_id, seq)")
    db.execute(
        "CREATE TABLE contradiction_regions (contradiction_id TEXT NOT NULL, region TEXT NOT NULL,"
        " published TEXT NOT NULL, PRIMARY KEY (region, published DESC, contradiction_id)) WITHOUT ROWID"
    )
    # Replacing an article deletes its rows by contradiction id: without this index that delete
    # scans the whole table, and loading slows down as the store grows.
    db.execute("CREATE INDEX idx_contradiction_regions_id ON contradiction_regions (contradiction_id)")
    db["subscriptions"].create(
        {
            "id": int,
            "platform": str,  # discord | slack | console
            "workspace": str,  # guild id / team id / "" for the console
            "channel": str,
            "local_time": str,  # HH:MM
            "timezone": str,  # IANA zone
            "created_by": str,
            "created_at": str,
            "active": int,
            "last_result": str,
            "last_posted_on": str,
            "failing_reason": str,
        },
        pk="id",
    )
    db["subscriptions"].create_index(["platform", "workspace", "channel", "local_time"], unique=True)


def _migrate_ingest(db: sqlite_utils.Database) -> None:
    """Ingestion (bot/ingest): raw pages, fetch facts, feeds, URL aliases, story signatures."""
    for column, kind in (
        ("canonical_url", str),
        ("source", str),  # what was submitted: a URL, a file name, a feed entry link
        ("raw_document", bytes),  # the page as fetched, zlib-compressed
        ("raw_content_type", str),
        ("fetched_at", str),  # ISO timestamp, UTC
        ("fetch_status", str),  # HTTP status, or "file"
        ("feed_id", int),
        ("captions", str),  # JSON list of [start, end] spans of `text` that are photo captions
        ("minhash", bytes),  # near-duplicate signature (bot/ingest/dedupe.py)
        ("date_source", str),  # page | feed | header | fetched: where `published` came from
    ):
        db["articles"].add_column(column, kind)
    db["articles"].create_index(["canonical_url"])
    db["feeds"].create(
        {
            "id": int,
            "url": str,
            "title": str,
            "etag": str,
            "last_modified": str,
            "added_at": str,
            "last_polled_at": str,
            "next_poll_at": str,
            "failures": int,
            "last_error": str,
            "last_status": str,
        },
        pk="id",
        not_null={"url"},
        defaults={"failures": 0},
    )
    db["feeds"].create_index(["url"], unique=True)
    # Every address an article was reached by (submitted, after redirects, rel=canonical).
    db["article_urls"].create(
        {"url": str, "article_id": str},
        pk="url",
        foreign_keys=[("article_id", "articles", "id")],
    )
    db["article_urls"].create_index(["article_id"])


def _migrate_digest_posts(db: sqlite_utils.Database) -> None:
    """The scheduler's outbox: one row per (channel, local date) digest slot.

    The UNIQUE key is what makes a daily digest exactly-once: the scheduler claims the slot by
    inserting this row before it sends, and records the platform's message id after.
    """
    db.execute(
        """CREATE TABLE digest_posts (
            id INTEGER PRIMARY KEY,
            platform TEXT NOT NULL,
            workspace TEXT NOT NULL,
            channel TEXT NOT NULL,
            local_date TEXT NOT NULL,           -- YYYY-MM-DD in the subscription's zone
            subscription_id INTEGER NOT NULL,
            slot_at TEXT NOT NULL,              -- the scheduled instant, UTC ISO
            idempotency_key TEXT NOT NULL,      -- Discord nonce / Slack marker
            status TEXT NOT NULL,               -- claimed | sending | posted | quiet | missed | failed
            attempt INTEGER NOT NULL DEFAULT 0,
            owner TEXT NOT NULL,                -- the scheduler run holding the claim
            since TEXT,                         -- the digest covers what is new since this instant
            claimed_at TEXT NOT NULL,
            first_attempted_at TEXT,           -- the first call of the platform for this slot
            attempted_at TEXT,                 -- the latest call
            finished_at TEXT,
            message_id TEXT,
            error TEXT,
            UNIQUE (platform, workspace, channel, local_date)
        )"""
    )
    db.execute("CREATE INDEX digest_posts_channel_status ON digest_posts (platform, workspace, channel, status)")


# Index i holds the migration from version i to i + 1.
MIGRATIONS: list[Callable[[sqlite_utils.Database], None]] = [_migrate_to_1, _migrate_ingest, _migrate_digest_posts]


def connect(path: Path | str, *, create: bool = True) -> sqlite_utils.Database:
    """Open (and migrate) the store at `path`; ":memory:" gives a private in-memory store."""
    if str(path) != ":memory:":
        p = Path(path)
        if not create and not p.exists():
            raise StoreError(f"no database at {p}")
        p.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=5000")
        # A bounded page cache (64 MB): index pages of a large store stay in memory, and memory
        # use stays flat however large the store grows.
        conn.execute("PRAGMA cache_size=-65536")
        conn.execute("PRAGMA temp_store=MEMORY")
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path} is not a usable SQLite database: {exc}") from exc
    db = sqlite_utils.Database(conn)
    migrate(db)
    return db


def schema_version(db: sqlite_utils.Database) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def migrate(db: sqlite_utils.Database) -> None:
    """Bring an older database up to SCHEMA_VERSION; refuse a newer one."""
    version = schema_version(db)
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"this database has schema version {version}, newer than this briefbot understands "
            f"({SCHEMA_VERSION}); upgrade briefbot or use another --db"
        )
    while version < SCHEMA_VERSION:
        with db.conn:
            db.conn.execute("BEGIN")
            MIGRATIONS[version](db)
            version += 1
            db.conn.execute(f"PRAGMA user_version = {version}")


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _rows(digest: ArticleDigest, digest_hash: str, loaded_at: str) -> dict[str, list[dict]]:
    meta = digest.meta
    published = meta.published.isoformat()
    aid = meta.id

    def base(item_id: str, seq: int) -> dict:
        return {"id": f"{aid}#{item_id}", "article_id": aid, "seq": seq, "published": published}

    article = {
        "id": aid,
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
        "loaded_at": loaded_at,
        "key_point_count": len(digest.key_points),
        "quote_count": len(digest.quotes),
        "claim_count": len(digest.claims),
    }
    key_points = [
        base(k.id, i) | {"text": k.evidence.text, "start": k.evidence.start, "end": k.evidence.end}
        for i, k in enumerate(digest.key_points)
    ]
    quotes = [
        base(q.id, i)
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
        }
        for i, q in enumerate(digest.quotes)
    ]
    claims = [
        base(c.id, i)
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
        }
        for i, c in enumerate(digest.claims)
    ]
    contradictions = [
        base(c.id, i)
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


def _insert_sql(table: str, columns: tuple[str, ...], upsert_key: str | None = None) -> str:
    cols = ", ".join(f'"{c}"' for c in columns)
    sql = f'INSERT INTO "{table}" ({cols}) VALUES ({", ".join("?" * len(columns))})'
    if upsert_key:
        updates = ", ".join(f'"{c}" = excluded."{c}"' for c in columns if c != upsert_key)
        sql += f' ON CONFLICT("{upsert_key}") DO UPDATE SET {updates}'
    return sql


def write_digest(db: sqlite_utils.Database, digest: ArticleDigest, digest_hash: str, loaded_at: str) -> None:
    """Replace one article and all its curated content, in one transaction.

    Columns that ingestion keeps on the article row (raw page, fetch status, story link) are
    preserved: the article row is upserted on the columns a digest owns, and only its content
    rows are replaced. Rows go in through prepared statements on sqlite-utils' connection:
    `Table.insert_all` introspects the table on every call (dozens of queries per article),
    which alone would cap loading below 1,000 articles/s.
    """
    rows = _rows(digest, digest_hash, loaded_at)
    article = rows["articles"][0]
    conn = db.conn
    with conn:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(_insert_sql("articles", tuple(article), "id"), list(article.values()))
        conn.execute("UPDATE articles SET story_id = id WHERE id = ? AND story_id IS NULL", [digest.meta.id])
        _delete_content(db, digest.meta.id)
        for table in (*CONTENT_TABLES, "contradiction_regions"):
            if rows[table]:
                columns = tuple(rows[table][0])
                conn.executemany(_insert_sql(table, columns), [tuple(r.values()) for r in rows[table]])


def delete_article(db: sqlite_utils.Database, article_id: str) -> None:
    with db.conn:
        db.conn.execute("BEGIN IMMEDIATE")
        _delete_content(db, article_id)
        db.conn.execute("DELETE FROM articles WHERE id = ?", [article_id])


def loaded_hash(db: sqlite_utils.Database, digest_file: str) -> str | None:
    """The digest hash of the article loaded from this file name, if any."""
    row = db.conn.execute("SELECT digest_hash FROM articles WHERE digest_file = ?", [digest_file]).fetchone()
    return row[0] if row else None


def loaded_file_names(db: sqlite_utils.Database) -> list[tuple[str, str]]:
    """(digest file name, article id) of every article loaded from a file."""
    return db.conn.execute(
        "SELECT digest_file, id FROM articles WHERE digest_file IS NOT NULL AND digest_file != ''"
    ).fetchall()


def upsert_speakers(db: sqlite_utils.Database, speakers: Iterable[dict]) -> None:
    rows = [s | {"aliases": json.dumps(list(s.get("aliases", [])))} for s in speakers]
    if rows:
        with db.conn:
            db.conn.execute("BEGIN IMMEDIATE")
            db["speakers"].upsert_all(rows, pk="id", alter=True)
