"""Every setting of briefbot, read in one place: the environment first, then `.env`.

Values already in the environment win over `.env` (python-dotenv with override=False), so an
operator can always override the file. Secrets are held as `SecretStr`-like wrappers whose
repr never shows the value, so logging a Settings object cannot leak a token.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values

REPO_ROOT = Path(__file__).resolve().parent.parent


class Secret(str):
    """A string that never prints itself: repr/str in logs show only whether it is set."""

    def __repr__(self) -> str:
        return "Secret(set)" if self else "Secret(unset)"

    def reveal(self) -> str:
        return str.__str__(self)

    def __str__(self) -> str:  # f-strings and logging call __str__/__format__
        return repr(self)

    def __format__(self, spec: str) -> str:
        return repr(self)


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "briefbot"


@dataclass(frozen=True)
class Settings:
    """Typed view of every setting; see `.env.example` for the documentation of each."""

    db_path: Path = field(default_factory=lambda: _default_data_dir() / "briefbot.db")
    summaries_dir: Path = field(default_factory=lambda: REPO_ROOT / "summaries")
    timezone: str = "UTC"
    digest_time: str = "08:00"
    digest_grace_hours: float = 6.0
    quiet_day: str = "notice"  # "notice": one line on a quiet day; "skip": post nothing
    show_drafts: bool = True  # show machine-extracted, unreviewed content (always labelled)
    log_level: str = "INFO"
    # Discord
    discord_token: Secret = Secret("")
    discord_guild_id: int | None = None
    discord_api_base: str = ""
    # Slack
    slack_bot_token: Secret = Secret("")
    slack_app_token: Secret = Secret("")
    slack_signing_secret: Secret = Secret("")
    slack_port: int = 3000
    slack_api_base: str = ""
    slack_subscriber_group: str = ""
    # Ingestion
    feed_poll_minutes: float = 30.0
    fetch_max_bytes: int = 5 * 1024 * 1024
    fetch_timeout_s: float = 20.0
    fetch_concurrency: int = 8
    allow_private_urls: bool = False
    user_agent: str = "briefbot/0.1 (+https://github.com/briefbot/briefbot; news digest bot)"

    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


# setting name -> environment variable
ENV_NAMES: dict[str, str] = {
    "db_path": "BRIEFBOT_DB",
    "summaries_dir": "BRIEFBOT_SUMMARIES",
    "timezone": "BRIEFBOT_TIMEZONE",
    "digest_time": "BRIEFBOT_DIGEST_TIME",
    "digest_grace_hours": "BRIEFBOT_DIGEST_GRACE_HOURS",
    "quiet_day": "BRIEFBOT_QUIET_DAY",
    "show_drafts": "BRIEFBOT_SHOW_DRAFTS",
    "log_level": "BRIEFBOT_LOG_LEVEL",
    "discord_token": "DISCORD_TOKEN",
    "discord_guild_id": "DISCORD_GUILD_ID",
    "discord_api_base": "DISCORD_API_BASE",
    "slack_bot_token": "SLACK_BOT_TOKEN",
    "slack_app_token": "SLACK_APP_TOKEN",
    "slack_signing_secret": "SLACK_SIGNING_SECRET",
    "slack_port": "SLACK_PORT",
    "slack_api_base": "SLACK_API_BASE",
    "slack_subscriber_group": "SLACK_SUBSCRIBER_GROUP",
    "feed_poll_minutes": "BRIEFBOT_FEED_POLL_MINUTES",
    "fetch_max_bytes": "BRIEFBOT_FETCH_MAX_BYTES",
    "fetch_timeout_s": "BRIEFBOT_FETCH_TIMEOUT",
    "fetch_concurrency": "BRIEFBOT_FETCH_CONCURRENCY",
    "allow_private_urls": "BRIEFBOT_ALLOW_PRIVATE_URLS",
    "user_agent": "BRIEFBOT_USER_AGENT",
}


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message names the variable."""


def _convert(name: str, raw: str, kind: object) -> object:
    env = ENV_NAMES[name]
    text = raw.strip()
    try:
        if kind in (Path, "Path"):
            return Path(text).expanduser()
        if kind in (bool, "bool"):
            if text.lower() in {"1", "true", "yes", "on"}:
                return True
            if text.lower() in {"0", "false", "no", "off", ""}:
                return False
            raise ValueError(text)
        if kind in (int, "int"):
            return int(text)
        if kind in ("int | None",):
            return int(text) if text else None
        if kind in (float, "float"):
            return float(text)
        if kind in (Secret, "Secret"):
            return Secret(text)
    except ValueError as exc:
        raise SettingsError(f"{env}={raw!r} is not a valid value") from exc
    return text


def load_settings(env_file: Path | str | None = None, **overrides: object) -> Settings:
    """Read settings: process environment first, then `.env` (current directory or env_file)."""
    path = Path(env_file) if env_file else Path.cwd() / ".env"
    file_values = dotenv_values(path) if path.is_file() else {}
    values: dict[str, object] = {}
    for f in fields(Settings):
        env = ENV_NAMES[f.name]
        raw = os.environ.get(env)
        if raw is None:
            raw = file_values.get(env)
        if raw is not None and raw != "":
            values[f.name] = _convert(f.name, raw, f.type)
    values.update({k: v for k, v in overrides.items() if v is not None})
    settings = Settings(**values)  # type: ignore[arg-type]
    try:
        settings.zone()
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SettingsError(f"BRIEFBOT_TIMEZONE={settings.timezone!r} is not an IANA time zone") from exc
    if settings.quiet_day not in {"notice", "skip"}:
        raise SettingsError("BRIEFBOT_QUIET_DAY must be 'notice' or 'skip'")
    return settings
