"""What every briefbot click command shares: `--db PATH`, settings, logging, one-line errors.

`with_settings` wraps a command: it adds `--db` (default BRIEFBOT_DB, else the embedded
default store), loads the settings (environment, then .env, then --db), configures logging at
BRIEFBOT_LOG_LEVEL on stderr, passes `settings` to the command, and turns settings and store
errors into one-line click errors instead of tracebacks. Its own module, so subsystems' commands
(bot/ingest/cli.py) use it without importing bot/cli.py, which registers them.
"""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from bot.core.db import StoreError
from bot.settings import Settings, SettingsError, load_settings


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=getattr(logging, settings.log_level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


db_option = click.option(
    "--db", "db_path", type=click.Path(dir_okay=False, path_type=Path), help="SQLite database path."
)


def _given_db(db_path: Path | None) -> Path | None:
    """--db of this command, else of a group above it (`briefbot --db X review show ...`)."""
    if db_path is not None:
        return db_path
    ctx = click.get_current_context(silent=True)
    while ctx is not None:
        if isinstance(ctx.obj, dict) and ctx.obj.get("db_path") is not None:
            return Path(ctx.obj["db_path"])
        ctx = ctx.parent
    return None


def with_settings(func: Callable[..., Any]) -> Callable[..., Any]:
    """Adds --db and passes `settings` (environment, then .env, then --db) to the command."""

    @db_option
    @functools.wraps(func)
    def wrapper(*args: Any, db_path: Path | None = None, **kwargs: Any) -> Any:
        try:
            settings = load_settings(db_path=_given_db(db_path))
        except SettingsError as exc:
            raise click.ClickException(str(exc)) from None
        configure_logging(settings)
        try:
            return func(*args, settings=settings, **kwargs)
        except StoreError as exc:
            raise click.ClickException(str(exc)) from None

    return wrapper
