"""Channel subscriptions to the daily digest: who gets it, where, at what local time.

Platform-free: a subscription names its platform (discord, slack, console), workspace
(guild / team id) and channel as strings. The scheduler reads these rows to build its jobs;
front ends call `subscribe` / `unsubscribe` after checking the caller may manage the channel.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core.db import Store

PLATFORMS = ("discord", "slack", "console")
_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


# Called (with no arguments) after every subscribe / unsubscribe, so that whoever schedules the
# digests (the scheduler registers itself) applies the change at once; the core knows no more.
_listeners: list[Callable[[], None]] = []


def add_listener(listener: Callable[[], None]) -> None:
    _listeners.append(listener)


def remove_listener(listener: Callable[[], None]) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def _changed() -> None:
    for listener in list(_listeners):
        listener()


class SubscriptionError(ValueError):
    """A subscription request that cannot be taken (bad time, unknown zone...)."""


@dataclass(frozen=True, slots=True)
class Subscription:
    id: int
    platform: str
    workspace: str
    channel: str
    local_time: str
    timezone: str
    created_by: str
    active: bool
    last_result: str | None = None
    last_posted_on: str | None = None
    failing_reason: str | None = None


def normalise_time(value: str) -> str:
    m = _HHMM.match(value.strip())
    if not m:
        raise SubscriptionError(f"time must be HH:MM (24-hour), not {value[:20]!r}")
    return f"{int(m.group(1)):02d}:{m.group(2)}"


def check_timezone(value: str) -> str:
    try:
        ZoneInfo(value.strip())
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SubscriptionError(f"unknown time zone {value[:40]!r} (use an IANA name such as Europe/Kyiv)") from exc
    return value.strip()


def _row_to_sub(row: dict) -> Subscription:
    return Subscription(
        id=row["id"],
        platform=row["platform"],
        workspace=row["workspace"] or "",
        channel=row["channel"],
        local_time=row["local_time"],
        timezone=row["timezone"],
        created_by=row["created_by"] or "",
        active=bool(row["active"]),
        last_result=row.get("last_result"),
        last_posted_on=row.get("last_posted_on"),
        failing_reason=row.get("failing_reason"),
    )


def subscribe(
    store: Store,
    *,
    platform: str,
    workspace: str,
    channel: str,
    local_time: str,
    timezone: str,
    created_by: str,
    now: dt.datetime | None = None,
) -> Subscription:
    """Create (or re-activate) the subscription of a channel at a local time."""
    if platform not in PLATFORMS:
        raise SubscriptionError(f"unknown platform {platform!r}")
    local_time = normalise_time(local_time)
    timezone = check_timezone(timezone)
    now = now or dt.datetime.now(dt.UTC)
    with store.transaction() as db:
        existing = db.conn.execute(
            "SELECT id FROM subscriptions WHERE platform=? AND workspace=? AND channel=? AND local_time=?",
            [platform, workspace, channel, local_time],
        ).fetchone()
        values = {
            "platform": platform,
            "workspace": workspace,
            "channel": channel,
            "local_time": local_time,
            "timezone": timezone,
            "created_by": created_by,
            "created_at": now.isoformat(),
            "active": 1,
            "failing_reason": None,
        }
        if existing:
            db.table("subscriptions").update(existing[0], values)
            sub_id = existing[0]
        else:
            sub_id = db.table("subscriptions").insert(values).last_pk
    _changed()
    return get(store, int(sub_id))


def unsubscribe(store: Store, *, platform: str, workspace: str, channel: str) -> int:
    """Deactivate every subscription of a channel; returns how many were active."""
    with store.transaction() as db:
        cur = db.conn.execute(
            "UPDATE subscriptions SET active=0 WHERE platform=? AND workspace=? AND channel=? AND active=1",
            [platform, workspace, channel],
        )
    _changed()
    return cur.rowcount


class NoSuchSubscription(LookupError):
    pass


def get(store: Store, sub_id: int) -> Subscription:
    rows = store.rows("SELECT * FROM subscriptions WHERE id = ?", [sub_id])
    if not rows:
        raise NoSuchSubscription(sub_id)
    return _row_to_sub(rows[0])


def find(store: Store, sub_id: int) -> Subscription | None:
    """The subscription, or None when it was deleted."""
    try:
        return get(store, sub_id)
    except NoSuchSubscription:
        return None


def created_at(store: Store, sub_id: int) -> dt.datetime | None:
    """When the subscription was (last) made: its first digest is the slot after that."""
    found = store.one("SELECT created_at FROM subscriptions WHERE id=?", [sub_id])
    if not found or not found[0]:
        return None
    created = dt.datetime.fromisoformat(found[0])
    return created if created.tzinfo else created.replace(tzinfo=dt.UTC)


def failing_reason(store: Store, sub_id: int) -> str | None:
    found = store.one("SELECT failing_reason FROM subscriptions WHERE id=?", [sub_id])
    return found[0] if found else None


def note_result(
    store: Store,
    sub_id: int,
    *,
    last_result: str,
    posted_on: dt.date | None = None,
    failing_reason: str | None = None,
) -> None:
    """Keep the subscription's visible state (shown by /subscriptions) in step with its digests."""
    with store.transaction() as db:
        if posted_on is not None:
            db.conn.execute(
                "UPDATE subscriptions SET last_result=?, last_posted_on=?, failing_reason=NULL WHERE id=?",
                [last_result, posted_on.isoformat(), sub_id],
            )
        else:
            db.conn.execute(
                "UPDATE subscriptions SET last_result=?, failing_reason=? WHERE id=?",
                [last_result, failing_reason, sub_id],
            )


def list_subscriptions(
    store: Store,
    *,
    platform: str | None = None,
    workspace: str | None = None,
    channel: str | None = None,
    active_only: bool = True,
) -> list[Subscription]:
    where, params = [], []
    for column, value in (("platform", platform), ("workspace", workspace), ("channel", channel)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    if active_only:
        where.append("active = 1")
    sql = "SELECT * FROM subscriptions" + (f" WHERE {' AND '.join(where)}" if where else "") + " ORDER BY id"
    return [_row_to_sub(r) for r in store.rows(sql, params)]
