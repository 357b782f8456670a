"""The schema of the store, as named migrations applied in order by `bot.core.db.Store`.

A migration is never edited once released: a change to the schema is a new migration at the end.
The first three names stand for the schema versions 1-3 of stores made before migrations had
names (`PRAGMA user_version`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import sqlite_utils


def article_handle(article_id: str) -> str:
    """A short, stable name of an article for chat controls (a Discord custom id holds 100
    characters, an article id up to 121): 12 hex digits of its id's BLAKE2b hash."""
    return hashlib.blake2b(article_id.encode("utf-8"), digest_size=6).hexdigest()


@dataclass(frozen=True, slots=True)
class Migration:
    """One named schema change; `apply` runs inside the migration's transaction."""

    name: str
    apply: Callable[[sqlite_utils.Database], None]


def _articles(db: sqlite_utils.Database) -> None:
    """Articles (one row each, with counts for listings) and the speaker registry."""
    db.table("articles").create(
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
    db.table("articles").create_index(["loaded_at"])
    db.table("articles").create_index(["review", "published"])
    db.table("articles").create_index(["story_id"])
    db.table("articles").create_index(["content_hash"])
    db.table("articles").create_index(["digest_file"])
    db.table("speakers").create(
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


def _content(db: sqlite_utils.Database) -> None:
    """What is curated (or drafted) from each article: key points, quotes, claims, contradictions."""
    common = {"article_id": str, "seq": int, "published": str}
    db.table("key_points").create(
        {"id": str, **common, "text": str, "start": int, "end": int},
        pk="id",
        foreign_keys=[("article_id", "articles", "id")],
    )
    db.table("quotes").create(
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
    db.table("region_claims").create(
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
    db.table("contradictions").create(
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
    _content_indexes(db)


def _content_indexes(db: sqlite_utils.Database) -> None:
    # The hot paths: one region's claims and one speaker's quotes, newest first, in article
    # order within a day. Each index matches its query's ORDER BY exactly, so a query reads only
    # the rows it returns (LIMIT) however many the region or speaker has.
    db.execute("CREATE INDEX idx_quotes_speaker ON quotes (speaker_id, published DESC, article_id, seq)")
    db.table("quotes").create_index(["article_id"])
    db.execute("CREATE INDEX idx_claims_region ON region_claims (region, published DESC, article_id, seq)")
    db.table("region_claims").create_index(["article_id"])
    db.table("key_points").create_index(["article_id"])
    db.table("contradictions").create_index(["article_id"])
    db.execute("CREATE INDEX idx_contradictions_newest ON contradictions (published DESC, article_id, seq)")
    db.execute(
        "CREATE TABLE contradiction_regions (contradiction_id TEXT NOT NULL, region TEXT NOT NULL,"
        " published TEXT NOT NULL, PRIMARY KEY (region, published DESC, contradiction_id)) WITHOUT ROWID"
    )
    # Replacing an article deletes its rows by contradiction id: without this index that delete
    # scans the whole table, and loading slows down as the store grows.
    db.execute("CREATE INDEX idx_contradiction_regions_id ON contradiction_regions (contradiction_id)")


def _subscriptions(db: sqlite_utils.Database) -> None:
    """Channels' daily-digest subscriptions."""
    db.table("subscriptions").create(
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
    db.table("subscriptions").create_index(["platform", "workspace", "channel", "local_time"], unique=True)


def _ingest(db: sqlite_utils.Database) -> None:
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
        db.table("articles").add_column(column, kind)
    db.table("articles").create_index(["canonical_url"])
    db.table("feeds").create(
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
    db.table("feeds").create_index(["url"], unique=True)
    # Every address an article was reached by (submitted, after redirects, rel=canonical).
    db.table("article_urls").create(
        {"url": str, "article_id": str},
        pk="url",
        foreign_keys=[("article_id", "articles", "id")],
    )
    db.table("article_urls").create_index(["article_id"])


def _digest_posts(db: sqlite_utils.Database) -> None:
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


def _core(db: sqlite_utils.Database) -> None:
    _articles(db)
    _content(db)
    _subscriptions(db)


def _digest_leases(db: sqlite_utils.Database) -> None:
    """A claim of a digest slot is a lease: held until `lease_until`, then another run may take it."""
    db.execute("ALTER TABLE digest_posts ADD COLUMN lease_until TEXT")
    db.execute("CREATE INDEX digest_posts_open ON digest_posts (status, lease_until)")


def _item_review(db: sqlite_utils.Database) -> None:
    """Every curated item's review state (undecided, accepted, rejected, edited), who and when; an
    article's count of undecided items. Items of machine drafts loaded before are undecided."""
    for table in ("key_points", "quotes", "region_claims", "contradictions"):
        db.execute(f"ALTER TABLE {table} ADD COLUMN state TEXT NOT NULL DEFAULT 'accepted'")
        db.execute(f"ALTER TABLE {table} ADD COLUMN reviewed_by TEXT")
        db.execute(f"ALTER TABLE {table} ADD COLUMN reviewed_at TEXT")
        db.execute(
            f"UPDATE {table} SET state = 'undecided'"
            " WHERE article_id IN (SELECT id FROM articles WHERE review = 'draft')"
        )
    db.execute("ALTER TABLE articles ADD COLUMN pending INTEGER NOT NULL DEFAULT 0")
    db.execute(
        "UPDATE articles SET pending = key_point_count + quote_count + claim_count"
        " + (SELECT count(*) FROM contradictions x WHERE x.article_id = articles.id) WHERE review = 'draft'"
    )
    db.execute("CREATE INDEX idx_articles_pending ON articles (pending) WHERE pending > 0")


def _review_queue(db: sqlite_utils.Database) -> None:
    """Editors' review queue in chat: every article's short handle (chat controls name it), the
    review channels and since when they take drafts, and the review card posted for each draft."""
    db.execute("ALTER TABLE articles ADD COLUMN handle TEXT")
    db.conn.create_function("bb_article_handle", 1, article_handle, deterministic=True)
    db.execute("UPDATE articles SET handle = bb_article_handle(id)")
    db.execute("CREATE UNIQUE INDEX idx_articles_handle ON articles (handle)")
    db.execute(
        """CREATE TABLE review_channels (
            platform TEXT NOT NULL,
            channel TEXT NOT NULL,
            since TEXT NOT NULL,             -- drafts loaded from then on get a card here
            PRIMARY KEY (platform, channel)
        )"""
    )
    db.execute(
        """CREATE TABLE review_cards (
            platform TEXT NOT NULL,
            channel TEXT NOT NULL,
            article_id TEXT NOT NULL,
            status TEXT NOT NULL,            -- posting | posted
            claimed_at TEXT NOT NULL,
            message_id TEXT,
            posted_at TEXT,
            error TEXT,
            PRIMARY KEY (platform, channel, article_id)
        )"""
    )
    db.execute("CREATE INDEX idx_review_cards_article ON review_cards (article_id)")


def _covering_indexes(db: sqlite_utils.Database) -> None:
    """Indexes that answer from themselves at a million articles. A speaker's or region's count
    of shown items filters on review state: with the state in the index, counting reads no table
    row (it read up to 10,000 rows scattered over a store of gigabytes). Reloading a folder
    compares each file's hash: with the hash in the file-name index, the article row (whose text
    comes first) is not read."""
    db.execute("DROP INDEX idx_quotes_speaker")
    db.execute("CREATE INDEX idx_quotes_speaker ON quotes (speaker_id, published DESC, article_id, seq, state)")
    db.execute("DROP INDEX idx_claims_region")
    db.execute("CREATE INDEX idx_claims_region ON region_claims (region, published DESC, article_id, seq, state)")
    db.execute("DROP INDEX idx_articles_digest_file")
    db.execute("CREATE INDEX idx_articles_digest_file ON articles (digest_file, digest_hash)")


# (table, counted as, the column the count is kept by); the articles' count has one key, ''.
COUNTED = (("quotes", "speaker", "speaker_id"), ("region_claims", "region", "region"), ("articles", "articles", None))


def _item_counts(db: sqlite_utils.Database) -> None:
    """Exact counts kept by triggers: a speaker's statements and a region's claims per review
    state, and the articles. Answers say "50 of 16,350 statements" by reading one row, where a
    count(*) reads every matching index entry (2 ms for 16,000 quotes, 10 ms for a million
    articles, and growing with the store)."""
    db.execute(
        "CREATE TABLE item_counts (kind TEXT NOT NULL, key TEXT NOT NULL, state TEXT NOT NULL,"
        " n INTEGER NOT NULL, PRIMARY KEY (kind, key, state)) WITHOUT ROWID"
    )
    for table, kind, column in COUNTED:
        key, state = (f"{{row}}.{column}", "{row}.state") if column else ("''", "''")
        add = (
            f"INSERT INTO item_counts VALUES ('{kind}', {key}, {state}, 1)"
            " ON CONFLICT (kind, key, state) DO UPDATE SET n = n + 1"
        )
        drop = f"UPDATE item_counts SET n = n - 1 WHERE kind = '{kind}' AND key = {key} AND state = {state}"
        db.execute(f"CREATE TRIGGER count_{table}_insert AFTER INSERT ON {table} BEGIN {add.format(row='NEW')}; END")
        db.execute(f"CREATE TRIGGER count_{table}_delete AFTER DELETE ON {table} BEGIN {drop.format(row='OLD')}; END")
        if column:
            db.execute(
                f"CREATE TRIGGER count_{table}_update AFTER UPDATE OF {column}, state ON {table}"
                f" BEGIN {drop.format(row='OLD')}; {add.format(row='NEW')}; END"
            )
            db.execute(
                f"INSERT INTO item_counts SELECT '{kind}', {column}, state, count(*) FROM {table}"
                f" WHERE {column} IS NOT NULL GROUP BY {column}, state"
            )
        else:
            db.execute(f"INSERT INTO item_counts SELECT '{kind}', '', '', count(*) FROM {table}")


# Full-text search (FTS5) over article texts and statements: external-content tables kept in step
# by triggers, so the text is stored once. The update triggers fire only when the indexed text
# changes (an article's counts change on every review decision).
_FTS = (
    ("articles_fts", "articles", ("title", "text")),
    ("quotes_fts", "quotes", ("text", "mention")),
)


def _web(db: sqlite_utils.Database) -> None:
    """Search indexes, editors' accounts and the web view's sessions."""
    for fts, table, columns in _FTS:
        cols = ", ".join(columns)
        new = ", ".join(f"new.{c}" for c in columns)
        old = ", ".join(f"old.{c}" for c in columns)
        db.execute(
            f"CREATE VIRTUAL TABLE {fts} USING fts5({cols}, content='{table}', content_rowid='rowid',"
            " tokenize='unicode61 remove_diacritics 2')"
        )
        insert = f"INSERT INTO {fts} (rowid, {cols}) VALUES (new.rowid, {new});"
        delete = f"INSERT INTO {fts} ({fts}, rowid, {cols}) VALUES ('delete', old.rowid, {old});"
        db.execute(f"CREATE TRIGGER {fts}_insert AFTER INSERT ON {table} BEGIN {insert} END")
        db.execute(f"CREATE TRIGGER {fts}_delete AFTER DELETE ON {table} BEGIN {delete} END")
        db.execute(f"CREATE TRIGGER {fts}_update AFTER UPDATE OF {cols} ON {table} BEGIN {delete} {insert} END")
        db.execute(f"INSERT INTO {fts} ({fts}) VALUES ('rebuild')")
    db.execute(
        "CREATE TABLE editors (name TEXT PRIMARY KEY, password_hash TEXT NOT NULL, created_at TEXT NOT NULL,"
        " last_sign_in TEXT)"
    )
    # A session is known by the hash of its cookie's token: a copy of the database signs no one in.
    db.execute(
        "CREATE TABLE web_sessions (token_hash TEXT PRIMARY KEY, editor TEXT NOT NULL REFERENCES editors (name)"
        " ON DELETE CASCADE, csrf TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT NOT NULL, flash TEXT)"
    )
    db.execute("CREATE INDEX idx_web_sessions_expiry ON web_sessions (expires_at)")


def _confidence(db: sqlite_utils.Database) -> None:
    """How sure the extractor was of each drafted statement and claim (NULL: curated by a person)."""
    for table in ("quotes", "region_claims"):
        db.execute(f"ALTER TABLE {table} ADD COLUMN confidence REAL")


def _listing_indexes(db: sqlite_utils.Database) -> None:
    """Listings (/digest, /sources) answered from indexes alone, in the order articles are stored.

    The listing index holds every column a listing shows, so the article rows (text first, on
    overflow pages for a long article) are not read; it is ordered by (published, id), and an
    article's id is its date, outlet and title: the order a folder of digest files is loaded in,
    so the items of a day's first articles sit on neighbouring pages. The story index holds the
    outlet, for "also carried by" without reading the rows, and the index of load times the
    publication date and id, for "what is new since the last digest" without reading them."""
    db.execute("DROP INDEX idx_articles_listing")
    db.execute(
        "CREATE INDEX idx_articles_listing ON articles (published DESC, id, publisher, title, url, review,"
        " story_id, author, key_point_count, quote_count, claim_count, pending)"
    )
    db.execute("DROP INDEX idx_articles_story_id")
    db.execute("CREATE INDEX idx_articles_story_id ON articles (story_id, id, publisher)")
    db.execute("DROP INDEX idx_articles_loaded_at")
    db.execute("CREATE INDEX idx_articles_loaded_at ON articles (loaded_at, published, id)")


MIGRATIONS: tuple[Migration, ...] = (
    Migration("0001_core", _core),
    Migration("0002_ingest", _ingest),
    Migration("0003_digest_posts", _digest_posts),
    Migration("0004_digest_leases", _digest_leases),
    Migration("0005_item_review", _item_review),
    Migration("0006_review_queue", _review_queue),
    Migration("0007_covering_indexes", _covering_indexes),
    Migration("0008_item_counts", _item_counts),
    Migration("0009_web", _web),
    Migration("0010_confidence", _confidence),
    Migration("0011_listing_indexes", _listing_indexes),
)
