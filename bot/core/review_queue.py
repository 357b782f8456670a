"""The editors' review queue in chat: which drafts still need a card in which review channel.

A review channel (one per platform, from the settings) takes a card for every machine draft
loaded after the channel was first used (`open_channel`): a desk that sets a review channel
after ingesting a thousand articles is not flooded; `/review` lists the older ones. A card is
claimed before it is posted (`claim`: INSERT OR IGNORE on (platform, channel, article), so two
processes never both post one) and recorded with its message id after (`posted`); a failed
post releases its claim for a later tick, and a claim whose process died is taken again after
`STALE_CLAIM`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.core.db import Store

STALE_CLAIM = dt.timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class Card:
    """A posted review card: where it is, so a decision taken elsewhere can redraw it."""

    platform: str
    channel: str
    article_id: str
    message_id: str


def _iso(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).isoformat(timespec="seconds")


def open_channel(store: Store, platform: str, channel: str, now: dt.datetime) -> dt.datetime:
    """Register a review channel (idempotent); returns since when it takes drafts."""
    with store.transaction() as db:
        db.conn.execute(
            "INSERT OR IGNORE INTO review_channels (platform, channel, since) VALUES (?, ?, ?)",
            [platform, channel, _iso(now)],
        )
        since = db.conn.execute(
            "SELECT since FROM review_channels WHERE platform = ? AND channel = ?", [platform, channel]
        ).fetchone()[0]
    return dt.datetime.fromisoformat(since)


def due(store: Store, platform: str, channel: str, now: dt.datetime, limit: int = 5) -> list[str]:
    """Drafts with undecided items, loaded since the channel opened, that have no card there yet
    (or only a stale claim), oldest first."""
    stale = _iso(now - STALE_CLAIM)
    rows = store.rows(
        "SELECT a.id FROM articles a JOIN review_channels ch ON ch.platform = ? AND ch.channel = ?"
        " LEFT JOIN review_cards c ON c.platform = ch.platform AND c.channel = ch.channel AND c.article_id = a.id"
        " WHERE a.pending > 0 AND a.review = 'draft' AND a.digest_file IS NOT NULL AND a.loaded_at >= ch.since"
        " AND (c.article_id IS NULL OR (c.status = 'posting' AND c.claimed_at < ?))"
        " ORDER BY a.loaded_at, a.id LIMIT ?",
        [platform, channel, stale, limit],
    )
    return [str(r["id"]) for r in rows]


def claim(store: Store, platform: str, channel: str, article_id: str, now: dt.datetime) -> bool:
    """Take the card of one draft in one channel; False when another run holds it or posted it."""
    with store.transaction() as db:
        row = db.conn.execute(
            "SELECT status, claimed_at FROM review_cards WHERE platform = ? AND channel = ? AND article_id = ?",
            [platform, channel, article_id],
        ).fetchone()
        if row is not None:
            status, claimed_at = row
            if status != "posting" or dt.datetime.fromisoformat(claimed_at) >= now - STALE_CLAIM:
                return False
            db.conn.execute(
                "UPDATE review_cards SET claimed_at = ? WHERE platform = ? AND channel = ? AND article_id = ?"
                " AND claimed_at = ?",
                [_iso(now), platform, channel, article_id, claimed_at],
            )
            return bool(db.conn.execute("SELECT changes()").fetchone()[0])
        db.conn.execute(
            "INSERT INTO review_cards (platform, channel, article_id, status, claimed_at)"
            " VALUES (?, ?, ?, 'posting', ?)",
            [platform, channel, article_id, _iso(now)],
        )
    return True


def posted(store: Store, platform: str, channel: str, article_id: str, message_id: str, now: dt.datetime) -> None:
    with store.transaction() as db:
        db.conn.execute(
            "UPDATE review_cards SET status = 'posted', message_id = ?, posted_at = ?, error = NULL"
            " WHERE platform = ? AND channel = ? AND article_id = ?",
            [message_id, _iso(now), platform, channel, article_id],
        )


def release(store: Store, platform: str, channel: str, article_id: str) -> None:
    """Give a claim back after a failed post: a later tick tries again."""
    with store.transaction() as db:
        db.conn.execute(
            "DELETE FROM review_cards WHERE platform = ? AND channel = ? AND article_id = ? AND status = 'posting'",
            [platform, channel, article_id],
        )


def cards_of(store: Store, article_id: str, platform: str | None = None) -> list[Card]:
    """The posted cards of an article (every platform, or one)."""
    sql = (
        "SELECT platform, channel, article_id, message_id FROM review_cards WHERE article_id = ? AND status = 'posted'"
    )
    params: list[str] = [article_id]
    if platform is not None:
        sql += " AND platform = ?"
        params.append(platform)
    return [Card(r["platform"], r["channel"], r["article_id"], r["message_id"]) for r in store.rows(sql, params)]
