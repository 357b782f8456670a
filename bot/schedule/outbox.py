"""The digest outbox: exactly one digest per (channel, local date), kept in SQLite, across processes.

A slot is claimed by inserting its `digest_posts` row before anything is sent (the table's UNIQUE
key makes a second claim of the same channel and day fail). A claim is a **lease**: an owner (one
scheduler run) and an expiry, taken, renewed and handed over only by compare-and-swap in one
statement, so two schedulers on one store (two `briefbot run` processes, a restart while the old
process still runs) never both hold a slot. The holder moves the row to `sending` just before the
platform is called (renewing the lease over the call), to `posted` with the message id once the
platform answered, or back to `claimed` with the lease renewed up to its retry. A run that died
leaves a lease that expires; only then may another run take the slot over, retrying with the same
idempotency key. Final states: posted, quiet (nothing new, nothing posted), missed (the bot was
down beyond the grace window), failed, uncertain (an attempt may have reached the platform too
long ago for the platform to deduplicate a resend: reported, never resent).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.core.db import Store
from bot.core.subscriptions import Subscription

FINAL = frozenset({"posted", "quiet", "missed", "failed", "uncertain"})
OPEN = frozenset({"claimed", "sending"})
LEASE = dt.timedelta(seconds=60)  # longer than one send (the scheduler bounds a send to 30 s)


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
    lease_until: dt.datetime | None

    def lease_live(self, now: dt.datetime) -> bool:
        """Whether its owner still holds it (rows from before leases count as expired)."""
        return self.status in OPEN and self.lease_until is not None and self.lease_until > now


def _ts(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


_COLUMNS = (
    "id, platform, workspace, channel, local_date, subscription_id, slot_at, idempotency_key, status,"
    " attempt, owner, since, claimed_at, first_attempted_at, attempted_at, finished_at, message_id, error,"
    " lease_until"
)


def _row(values: tuple) -> PostRow:
    (pid, platform, workspace, channel, local_date, sub_id, slot_at, key, status, attempt, owner) = values[:11]
    (since, claimed_at, first_attempted_at, attempted_at, finished_at, message_id, error, lease_until) = values[11:]
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
        lease_until=_ts(lease_until),
    )


_SLOT = "platform=? AND workspace=? AND channel=?"


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


def open_rows(store: Store) -> list[PostRow]:
    """Every slot claimed or being sent, by any run."""
    return [
        _row(r) for r in store.execute(f"SELECT {_COLUMNS} FROM digest_posts WHERE status IN ('claimed','sending')")
    ]


@dataclass(frozen=True, slots=True)
class ClaimResult:
    """`row` is ours to send when `won`; otherwise it is the row that absorbed this slot (final,
    or held by a live lease: `held_elsewhere`)."""

    won: bool
    row: PostRow
    resumed: bool = False  # taken over from a run whose lease expired

    @property
    def held_elsewhere(self) -> bool:
        return not self.won and self.row.status in OPEN


def _lease(now: dt.datetime, until: dt.datetime | None = None) -> str:
    return max(now + LEASE, until + LEASE if until else now).isoformat()


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
    """Claim the (channel, local date) slot for `owner`, or say who already has it.

    An open slot of another run is taken over only when its lease has expired, by one
    compare-and-swap statement: of two runs trying at once, one takes it."""
    with store.transaction() as db:
        existing = find(store, sub, local_date)
        if existing is None:
            cur = db.conn.execute(
                "INSERT INTO digest_posts (platform, workspace, channel, local_date, subscription_id,"
                " slot_at, idempotency_key, status, attempt, owner, claimed_at, lease_until)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
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
                    _lease(now),
                ],
            )
            assert cur.lastrowid is not None
            return ClaimResult(True, get(store, cur.lastrowid))
        if existing.status in FINAL or existing.owner == owner:
            # Done already, or this run holds it (a retry is scheduled): absorbed.
            return ClaimResult(False, existing)
        taken = db.conn.execute(
            "UPDATE digest_posts SET owner=?, lease_until=? WHERE id=? AND owner=?"
            " AND status IN ('claimed','sending') AND (lease_until IS NULL OR lease_until <= ?)",
            [owner, _lease(now), existing.id, existing.owner, now.isoformat()],
        ).rowcount
        return ClaimResult(bool(taken), get(store, existing.id), resumed=bool(taken))


def last_posted_at(store: Store, sub: Subscription) -> dt.datetime | None:
    """When the channel's last digest was composed: the next one covers what is new since."""
    found = store.execute(
        "SELECT MAX(attempted_at) FROM digest_posts WHERE platform=? AND workspace=? AND channel=? AND status='posted'",
        [sub.platform, sub.workspace, sub.channel],
    ).fetchone()
    return _ts(found[0]) if found else None


def mark_sending(store: Store, post_id: int, *, owner: str, since: dt.datetime | None, now: dt.datetime) -> int | None:
    """Record that the platform is about to be called, if `owner` still holds the slot (its
    lease renewed over the call); returns the attempt number (1-based), or None when the slot was
    taken over meanwhile (then nothing must be sent)."""
    with store.transaction() as db:
        changed = db.conn.execute(
            "UPDATE digest_posts SET status='sending', attempt=attempt+1, attempted_at=?,"
            " first_attempted_at=COALESCE(first_attempted_at, ?), since=?, lease_until=?"
            " WHERE id=? AND owner=? AND status IN ('claimed','sending')",
            [now.isoformat(), now.isoformat(), since.isoformat() if since else None, _lease(now), post_id, owner],
        ).rowcount
        if not changed:
            return None
        return int(db.conn.execute("SELECT attempt FROM digest_posts WHERE id=?", [post_id]).fetchone()[0])


def mark_posted(store: Store, post_id: int, message_id: str, *, now: dt.datetime) -> None:
    _finish(store, post_id, "posted", now=now, message_id=message_id)


def mark_retry(store: Store, post_id: int, error: str, *, owner: str, now: dt.datetime, retry_at: dt.datetime) -> int:
    """An attempt failed: back to `claimed`, the lease held until the retry; returns the failures
    so far. A failure before the platform was called (composing the digest) counts as an attempt
    too, so a slot that can never be composed still ends."""
    with store.transaction() as db:
        db.conn.execute(
            "UPDATE digest_posts SET attempt = attempt + (status = 'claimed'), status='claimed', error=?,"
            " lease_until=? WHERE id=? AND owner=?",
            [error, _lease(now, retry_at), post_id, owner],
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
            " error=COALESCE(?, error), lease_until=NULL WHERE id=? AND status NOT IN ('posted')",
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
    """Close a slot that will not be posted; False when it was closed already or is held by a
    live lease of another run."""
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
        if existing.status in FINAL or (existing.owner != owner and existing.lease_live(now)):
            return False
        db.conn.execute(
            "UPDATE digest_posts SET status='missed', owner=?, finished_at=?, error=?, lease_until=NULL WHERE id=?",
            [owner, now.isoformat(), reason, existing.id],
        )
        return True


def close_stale(store: Store, *, slot_before: dt.datetime, owner: str, now: dt.datetime) -> list[PostRow]:
    """Close the open slots of earlier runs that are too old to post (beyond the grace window)
    and whose lease has expired; a live run's slots are never touched.

    `claimed` becomes `missed` (nothing reached the platform); `sending` becomes `uncertain`
    (an attempt may have reached it). Returns the rows as they were before closing."""
    with store.transaction() as db:
        stale = [r for r in open_rows(store) if r.owner != owner and r.slot_at < slot_before and not r.lease_live(now)]
        for r in stale:
            status = "uncertain" if r.status == "sending" else "missed"
            reason = (
                "an attempt may have posted before the bot stopped; not resent this late"
                if status == "uncertain"
                else "the bot stopped before posting it; too late to post"
            )
            db.conn.execute(
                "UPDATE digest_posts SET status=?, owner=?, finished_at=?, error=?, lease_until=NULL WHERE id=?",
                [status, owner, now.isoformat(), reason, r.id],
            )
    return stale
