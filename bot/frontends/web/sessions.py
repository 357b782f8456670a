"""Editors' sessions of the web view, CSRF tokens and the sign-in rate limit.

A session is a random token in an HttpOnly, SameSite=Lax cookie; the store keeps only the
token's SHA-256, with the editor, the session's CSRF token (every form of a signed-in page
carries it) and its expiry, so a session ends when it expires, when the editor signs out, or
when their password changes. The sign-in form is protected before any session exists by a
double-submitted token (a cookie and the same value in the form). Sign-in attempts are limited
per client address and per name with `limits`' moving windows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from bot.core.db import Store

SESSION_COOKIE = "briefbot_session"
SIGNIN_COOKIE = "briefbot_signin"
PER_ADDRESS = parse("10/minute")
PER_NAME = parse("5/minute")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def same_token(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and secrets.compare_digest(str(a), str(b))


@dataclass(frozen=True, slots=True)
class Session:
    editor: str
    csrf: str
    flash: str | None


def start(store: Store, editor: str, now: dt.datetime, hours: float) -> str:
    """A new session for `editor`; returns the cookie's token. Expired sessions are cleared."""
    token = new_token()
    expires = now + dt.timedelta(hours=hours)
    with store.transaction() as db:
        db.conn.execute("DELETE FROM web_sessions WHERE expires_at < ?", [now.isoformat()])
        db.conn.execute(
            "INSERT INTO web_sessions (token_hash, editor, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
            [_hash(token), editor, new_token(), now.isoformat(), expires.isoformat()],
        )
    return token


def find(store: Store, token: str | None, now: dt.datetime) -> Session | None:
    if not token or len(token) > 100:
        return None
    row = store.one(
        "SELECT editor, csrf, flash FROM web_sessions WHERE token_hash = ? AND expires_at > ?",
        [_hash(token), now.isoformat()],
    )
    return Session(row[0], row[1], row[2]) if row else None


def end(store: Store, token: str | None) -> None:
    if token:
        with store.transaction() as db:
            db.conn.execute("DELETE FROM web_sessions WHERE token_hash = ?", [_hash(token)])


def set_flash(store: Store, token: str, text: str | None) -> None:
    """What the next page tells the editor (the outcome of a decision), shown once."""
    with store.transaction() as db:
        db.conn.execute("UPDATE web_sessions SET flash = ? WHERE token_hash = ?", [text, _hash(token)])


class SignInLimiter:
    """At most PER_ADDRESS attempts a minute from one address and PER_NAME for one name."""

    def __init__(self) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def allow(self, address: str, name: str) -> bool:
        by_address = self._limiter.hit(PER_ADDRESS, "address", address)
        by_name = self._limiter.hit(PER_NAME, "name", name.strip().lower()[:40])
        return by_address and by_name
