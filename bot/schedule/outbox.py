"""The digest outbox: exactly one digest per (channel, local date), kept in SQLite.

A slot is claimed by inserting its `digest_posts` row before anything is sent (the table's
UNIQUE key makes a second claim of the same channel and day fail), moved to `sending` just
before the platform is called, and to `posted` with the message id once the platform answered.
A row left `claimed` or `sending` by a run that crashed is taken over by the next run, which
retries with the same idempotency key. Final states: posted, quiet (nothing new, nothing
posted), missed (bot was down beyond the grace window), failed, uncertain (an attempt may have
reached the platform too long ago for the platform to deduplicate a resend).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.core.db import Store
from bot.core.subscriptions import Subscription

FINAL = frozenset({"posted", "quiet", "missed", "failed", "uncertain"})
OPEN = frozenset({"claimed", "sending"})


@dataclass(frozen=True, slots=True)
class PostRow:
    """One slot of one channel, as stored."""

    id: int
    platform: str
    workspace: str
    channel: str
    local_date: dt.date
    subscription_id: int
    slot_at: dt.datetime
    idempotency_key: str
    status: str
    attempt: int
    owner: str
    since: dt.datetime | None
    claimed_at: dt.datetime
    first_attempted_at: dt.datetime | None
    attempted_at: dt.datetime | None
    finished_at: dt.datetime | None
    message_id: str | None
    error: str | None


def _ts(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def _row(values: tuple) -> PostRow:
    (
        pid,
        platform,
        workspace,
        channel,
        local_date,
        sub_id,
        slot_at,
        key,
        status,
        attempt,
        owner,
        since,
        claimed_at,
        first_attempted_at,
        attempted_at,
        finished_at,
        message_id,
        error,
    ) = values
    return PostRow(
        id=pid,
        platform=platform,
        workspace=workspace,
        channel=channel,
        local_date=dt.date.fromisoformat(local_date),
        subscription_id=sub_id,
        slot_at=dt.datetime.fromisoformat(slot_at),
        idempotency_key=key,
        status=status,
        attempt=attempt,
        owner=owner,
        since=_ts(since),
        claimed_at=dt.datetime.fromisoformat(claimed_at),
        first_attempted_at=_ts(first_attempted_at),
        attempted_at=_ts(attempted_at),
        finished_at=_ts(finished_at),
        message_id=message_id,
        error=error,
    )


_SLOT = "platform=? AND workspace=? AND channel=?"
_COLUMNS = (
    "id, platform, workspace, channel, local_date, subscription_id, slot_at, idempotency_key, status,"
    " attempt, owner, since, claimed_at, first_attempted_at, attempted_at, finished_at, message_id, error"
)


def find(store: Store, sub: Subscription, local_date: dt.date) -> PostRow | None:
    """The row of the channel's slot on that local date, whichever subscription claimed it."""
    found = store.execute(
        f"SELECT {_COLUMNS} FROM digest_posts WHERE {_SLOT} AND local_date=?",
        [sub.platform, sub.workspace, sub.channel, local_date.isoformat()],
    ).fetchone()
    return _row(found) if found else None


def get(store: Store, post_id: int) -> PostRow:
    return _row(store.execute(f"SELECT {_COLUMNS} FROM digest_posts WHERE id=?", [post_id]).fetchone())


def rows_for_channel(store: Store, platform: str, workspace: str, channel: str) -> list[PostRow]:
    cur = store.execute(
        f"SELECT {_COLUMNS} FROM digest_posts WHERE {_SLOT} ORDER BY local_date",
        [platform, workspace, channel],
    )
    return [_row(r) for r in cur]


@dataclass(frozen=True, slots=True)
class ClaimResult:
    """`row` is ours to send when `won`; otherwise it is the row that absorbed this slot."""

    won: bool
    row: PostRow
    resumed: bool = False  # taken over from a run that stopped before finishing it


def claim(
    store: Store,
    sub: Subscription,
    *,
    local_date: dt.date,
    slot_at: dt.datetime,
    key: str,
    owner: str,
    now: dt.datetime,
) -> ClaimResult:
    """Claim the (channel, local date) slot for `owner`, or say who already has it."""
    with store.transaction() as db:
        existing = find(store, sub, local_date)
        if existing is None:
            cur = db.conn.execute(
                "INSERT INTO digest_posts (platform, workspace, channel, local_date, subscription_id,"
                " slot_at, idempotency_key, status, attempt, owner, claimed_at)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                [
                    sub.platform,
                    sub.workspace,
                    sub.channel,
                    local_date.isoformat(),
                    sub.id,
                    slot_at.isoformat(),
                    key,
                    "claimed",
                    0,
                    owner,
                    now.isoformat(),
                ],
            )
            assert cur.lastrowid is not None
            return ClaimResult(True, get(store, cur.lastrowid))
        if existing.status in FINAL or existing.owner == owner:
            # Done already, or this run holds it (a retry is scheduled): absorbed.
            return ClaimResult(False, existing)
        db.conn.execute("UPDATE digest_posts SET owner=? WHERE id=?", [owner, existing.id])
        return ClaimResult(True, get(store, existing.id), resumed=True)


def last_posted_at(store: Store, sub: Subscription) -> dt.datetime | None:
    """When the channel's last digest was composed: the next one covers what is new since."""
    found = store.execute(
        "SELECT MAX(attempted_at) FROM digest_posts WHERE platform=? AND workspace=? AND channel=? AND status='posted'",
        [sub.platform, sub.workspace, sub.channel],
    ).fetchone()
    return _ts(found[0]) if found else None


def mark_sending(store: Store, post_id: int, *, since: dt.datetime | None, now: dt.datetime) -> int:
    """Record that the platform is about to be called; returns the attempt number (1-based)."""
    with store.transaction() as db:
        db.conn.execute(
            "UPDATE digest_posts SET status='sending', attempt=attempt+1, attempted_at=?,"
            " first_attempted_at=COALESCE(first_attempted_at, ?), since=? WHERE id=?",
            [now.isoformat(), now.isoformat(), since.isoformat() if since else None, post_id],
        )
        return int(db.conn.execute("SELECT attempt FROM digest_posts WHERE id=?", [post_id]).fetchone()[0])


def mark_posted(store: Store, post_id: int, message_id: str, *, now: dt.datetime) -> None:
    _finish(store, post_id, "posted", now=now, message_id=message_id)


def mark_retry(store: Store, post_id: int, error: str) -> int:
    """An attempt failed: back to `claimed` for a retry; returns the failures so far.

    A failure before the platform was called (composing the digest) counts as an attempt too,
    so a slot that can never be composed still ends.
    """
    with store.transaction() as db:
        db.conn.execute(
            "UPDATE digest_posts SET attempt = attempt + (status = 'claimed'), status='claimed', error=? WHERE id=?",
            [error, post_id],
        )
        return int(db.conn.execute("SELECT attempt FROM digest_posts WHERE id=?", [post_id]).fetchone()[0])


def mark_final(store: Store, post_id: int, status: str, *, now: dt.datetime, error: str | None = None) -> None:
    if status not in FINAL:
        raise ValueError(f"{status!r} is not a final status")
    _finish(store, post_id, status, now=now, error=error)


def _finish(
    store: Store,
    post_id: int,
    status: str,
    *,
    now: dt.datetime,
    message_id: str | None = None,
    error: str | None = None,
) -> None:
    with store.transaction() as db:
        db.conn.execute(
            "UPDATE digest_posts SET status=?, finished_at=?, message_id=COALESCE(?, message_id),"
            " error=COALESCE(?, error) WHERE id=?",
            [status, now.isoformat(), message_id, error, post_id],
        )


def record_missed(
    store: Store,
    sub: Subscription,
    *,
    local_date: dt.date,
    slot_at: dt.datetime,
    key: str,
    owner: str,
    now: dt.datetime,
    reason: str,
) -> bool:
    """Close a slot that will not be posted; False when the slot was closed already."""
    with store.transaction() as db:
        existing = find(store, sub, local_date)
        if existing is None:
            db.conn.execute(
                "INSERT INTO digest_posts (platform, workspace, channel, local_date, subscription_id,"
                " slot_at, idempotency_key, status, attempt, owner, claimed_at, finished_at, error)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [
                    sub.platform,
                    sub.workspace,
                    sub.channel,
                    local_date.isoformat(),
                    sub.id,
                    slot_at.isoformat(),
                    key,
                    "missed",
                    0,
                    owner,
                    now.isoformat(),
                    now.isoformat(),
                    reason,
                ],
            )
            return True
        if existing.status in FINAL:
            return False
        db.conn.execute(
            "UPDATE digest_posts SET status='missed', owner=?, finished_at=?, error=? WHERE id=?",
            [owner, now.isoformat(), reason, existing.id],
        )
        return True


def close_stale(store: Store, *, slot_before: dt.datetime, owner: str, now: dt.datetime) -> list[PostRow]:
    """Close the open slots of earlier runs that are too old to post (beyond the grace window).

    `claimed` becomes `missed` (nothing reached the platform); `sending` becomes `uncertain`
    (an attempt may have reached it). Returns the rows as they were before closing.
    """
    with store.transaction() as db:
        stale = [
            _row(r)
            for r in db.conn.execute(
                f"SELECT {_COLUMNS} FROM digest_posts WHERE status IN ('claimed','sending') AND owner != ?",
                [owner],
            )
        ]
        stale = [r for r in stale if r.slot_at < slot_before]
        for r in stale:
            status = "uncertain" if r.status == "sending" else "missed"
            reason = (
                "an attempt may have posted before the bot stopped; not resent this late"
                if status == "uncertain"
                else "the bot stopped before posting it; too late to post"
            )
            db.conn.execute(
                "UPDATE digest_posts SET status=?, owner=?, finished_at=?, error=? WHERE id=?",
                [status, owner, now.isoformat(), reason, r.id],
            )
    return stale
