"""Editors' accounts of the web view: names and argon2 password hashes, kept in the store.

Passwords are hashed with argon2id (argon2-cffi, its recommended parameters); a hash made with
older parameters is replaced at the next sign-in. Checking an unknown name costs the same as a
wrong password, so the time of an answer does not tell which names exist.
"""

from __future__ import annotations

import datetime as dt
import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from bot.core.db import Store

NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,39}")
MIN_PASSWORD = 12
MAX_PASSWORD = 1024  # hashing a megabyte of "password" is a cheap way to load a server
_HASHER = PasswordHasher()
_DUMMY = _HASHER.hash("not an editor's password")


class AccountError(ValueError):
    """A name or password that cannot be used; the message says why in one line."""


def check_name(name: str) -> str:
    name = name.strip().lower()
    if not NAME.fullmatch(name):
        raise AccountError("an editor's name is 1-40 characters: lower-case letters, digits, '.', '_' or '-'")
    return name


def add_editor(store: Store, name: str, password: str, now: dt.datetime) -> bool:
    """Create an editor or set a new password. Returns True when the editor is new."""
    name = check_name(name)
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise AccountError(f"a password is at least {MIN_PASSWORD} characters (at most {MAX_PASSWORD})")
    hashed = _HASHER.hash(password)
    with store.transaction() as db:
        existed = db.conn.execute("SELECT 1 FROM editors WHERE name = ?", [name]).fetchone() is not None
        db.conn.execute(
            "INSERT INTO editors (name, password_hash, created_at) VALUES (?, ?, ?)"
            " ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash",
            [name, hashed, now.isoformat(timespec="seconds")],
        )
        if existed:  # a new password signs out every session of the old one
            db.conn.execute("DELETE FROM web_sessions WHERE editor = ?", [name])
    return not existed


def remove_editor(store: Store, name: str) -> bool:
    with store.transaction() as db:
        db.conn.execute("DELETE FROM web_sessions WHERE editor = ?", [name])
        return db.conn.execute("DELETE FROM editors WHERE name = ?", [name]).rowcount > 0


def list_editors(store: Store) -> list[tuple[str, str, str | None]]:
    """(name, created at, last sign-in) of every editor."""
    return [
        (r[0], r[1], r[2]) for r in store.execute("SELECT name, created_at, last_sign_in FROM editors ORDER BY name")
    ]


def verify(store: Store, name: str, password: str, now: dt.datetime) -> str | None:
    """The editor's name when the password is theirs, else None."""
    try:
        name = check_name(name)
    except AccountError:
        name = ""
    row = store.one("SELECT password_hash FROM editors WHERE name = ?", [name]) if name else None
    if len(password) > MAX_PASSWORD:
        password = password[:MAX_PASSWORD] + "\0"  # never matches, costs one normal check
    try:
        _HASHER.verify(row[0] if row else _DUMMY, password)
    except (VerificationError, InvalidHashError):
        return None
    if row is None:
        return None
    updates: dict[str, str] = {"last_sign_in": now.isoformat(timespec="seconds")}
    if _HASHER.check_needs_rehash(row[0]):
        updates["password_hash"] = _HASHER.hash(password)
    with store.transaction() as db:
        sets = ", ".join(f"{k} = ?" for k in updates)
        db.conn.execute(f"UPDATE editors SET {sets} WHERE name = ?", [*updates.values(), name])
    return name
