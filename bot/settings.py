"""Every setting of briefbot, typed and documented in one class: the environment first, then `.env`.

`Settings` (pydantic-settings) declares each setting once: its environment name (the users'
interface: `BRIEFBOT_DB`, `DISCORD_TOKEN`, ...), its type, default and one-line description, and
the group it is listed under in `.env.example` (which `briefbot settings --example` writes and a
test checks against this class). Values already in the environment win over `.env`. Secrets are
pydantic `SecretStr`s: their repr never shows the value, so logging a Settings object cannot
leak a token. Data (the database and the digest files) lives under the user's data directory
by default (platformdirs), so any install, editable or not, has a place to write.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs
from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
Secret = SecretStr  # the type of every secret setting


def default_data_dir() -> Path:
    """Where briefbot keeps its store and digest files: ~/.local/share/briefbot on Linux
    ($XDG_DATA_HOME respected), the platform's own place elsewhere."""
    return platformdirs.user_data_path("briefbot", appauthor=False)


def _setting(env: str, default: Any, description: str, group: str, **kwargs: Any) -> Any:
    return Field(
        default,
        validation_alias=AliasChoices(env),
        description=description,
        json_schema_extra={"env": env, "group": group},
        **kwargs,
    )


STORE, DIGEST, DISCORD, SLACK, INGEST, WEB = (
    "store and content",
    "daily digest",
    "Discord",
    "Slack",
    "ingestion",
    "web view",
)


class Settings(BaseSettings):
    """Typed view of every setting; `.env.example` lists them with these descriptions."""

    model_config = SettingsConfigDict(
        frozen=True, populate_by_name=True, extra="ignore", env_ignore_empty=True, validate_default=True
    )

    data_dir: Path = _setting(
        "BRIEFBOT_DATA",
        None,
        "Folder of briefbot's data (default: the user's data directory, e.g. ~/.local/share/briefbot)",
        STORE,
    )
    db_path: Path = _setting(
        "BRIEFBOT_DB",
        None,
        "SQLite database path (default: DATA/briefbot.db; every command also takes --db PATH)",
        STORE,
    )
    summaries_dir: Path = _setting(
        "BRIEFBOT_SUMMARIES",
        None,
        "Folder of digest files loaded into the store (default: DATA/summaries; NAME-summaries beside "
        "a store NAME.db kept elsewhere; started from the packaged seed)",
        STORE,
    )
    show_drafts: bool = _setting(
        "BRIEFBOT_SHOW_DRAFTS",
        True,
        'Show machine-drafted, unreviewed content (always labelled "automatic, not reviewed"): 1 or 0',
        STORE,
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = _setting(
        "BRIEFBOT_LOG_LEVEL", "INFO", "Log level: DEBUG, INFO, WARNING, ERROR (tokens are never logged)", STORE
    )
    reviewer: str = _setting(
        "BRIEFBOT_REVIEWER",
        "",
        "Name recorded with decisions taken on the command line (default: the system user)",
        STORE,
    )
    timezone: str = _setting("BRIEFBOT_TIMEZONE", "UTC", "Default IANA time zone of new subscriptions", DIGEST)
    digest_time: str = _setting(
        "BRIEFBOT_DIGEST_TIME", "08:00", "Default local time (HH:MM, 24-hour) of new subscriptions", DIGEST
    )
    digest_grace_hours: float = _setting(
        "BRIEFBOT_DIGEST_GRACE_HOURS",
        6.0,
        "A digest missed while the bot was down is still posted on start within this many hours of its slot",
        DIGEST,
    )
    quiet_day: Literal["notice", "skip"] = _setting(
        "BRIEFBOT_QUIET_DAY",
        "notice",
        'On a day with nothing new: "notice" posts one line, "skip" posts nothing',
        DIGEST,
    )
    discord_token: SecretStr = _setting(
        "DISCORD_TOKEN",
        SecretStr(""),
        "Bot token from the Developer Portal (Bot tab); when set, `briefbot run` connects to Discord",
        DISCORD,
    )
    discord_guild_id: int | None = _setting(
        "DISCORD_GUILD_ID",
        None,
        "Sync commands to this one server instantly while setting up (default: global sync)",
        DISCORD,
    )
    discord_review_channel: int | None = _setting(
        "DISCORD_REVIEW_CHANNEL",
        None,
        "Channel id where each new machine draft is posted for editors to review",
        DISCORD,
    )
    discord_editor_role: int | None = _setting(
        "DISCORD_EDITOR_ROLE",
        None,
        "Role id of the editors: only they accept, reject or edit drafted items (unset: Manage Server)",
        DISCORD,
    )
    discord_api_base: str = _setting(
        "DISCORD_API_BASE",
        "",
        "Send REST calls here instead of https://discord.com/api (REST proxies; the tests' fake API)",
        DISCORD,
    )
    slack_bot_token: SecretStr = _setting(
        "SLACK_BOT_TOKEN", SecretStr(""), "Bot token (xoxb-...); when set, `briefbot run` starts the Slack app", SLACK
    )
    slack_app_token: SecretStr = _setting(
        "SLACK_APP_TOKEN",
        SecretStr(""),
        "App-level token (xapp-...) for Socket Mode, the default: no public URL needed",
        SLACK,
    )
    slack_signing_secret: SecretStr = _setting(
        "SLACK_SIGNING_SECRET",
        SecretStr(""),
        "Signing secret, for HTTP mode (used when SLACK_APP_TOKEN is not set)",
        SLACK,
    )
    slack_port: int = _setting("SLACK_PORT", 3000, "Port of the HTTP mode server", SLACK, ge=0, le=65535)
    slack_review_channel: str = _setting(
        "SLACK_REVIEW_CHANNEL", "", "Channel id (C0123ABCD) where each new machine draft is posted for editors", SLACK
    )
    slack_editor_group: str = _setting(
        "SLACK_EDITOR_GROUP",
        "",
        "User group of the editors (handle or id): only they act on drafts (unset: workspace admins)",
        SLACK,
    )
    slack_api_base: str = _setting(
        "SLACK_API_BASE",
        "",
        "Slack Web API base URL (proxies; the tests' fake API), default https://slack.com/api/",
        SLACK,
    )
    slack_subscriber_group: str = _setting(
        "SLACK_SUBSCRIBER_GROUP",
        "",
        "User group whose members may subscribe channels, besides workspace admins and owners:"
        " its handle (news-editors) or id (S0123ABCD)",
        SLACK,
    )
    feed_poll_minutes: float = _setting(
        "BRIEFBOT_FEED_POLL_MINUTES", 30.0, "Minutes between polls of each followed feed", INGEST, gt=0
    )
    draft_min_confidence: float = _setting(
        "BRIEFBOT_DRAFT_MIN_CONFIDENCE",
        0.5,
        "Machine drafts keep the statements and claims the extractor is at least this sure of (0-1; "
        "chosen on the dev split for precision)",
        INGEST,
        ge=0,
        le=1,
    )
    fetch_max_bytes: int = _setting(
        "BRIEFBOT_FETCH_MAX_BYTES", 5 * 1024 * 1024, "Largest page or feed fetched, in bytes", INGEST, gt=0
    )
    fetch_timeout_s: float = _setting("BRIEFBOT_FETCH_TIMEOUT", 20.0, "Seconds before a fetch gives up", INGEST, gt=0)
    fetch_concurrency: int = _setting("BRIEFBOT_FETCH_CONCURRENCY", 8, "Fetches running at once", INGEST, ge=1)
    allow_private_urls: bool = _setting(
        "BRIEFBOT_ALLOW_PRIVATE_URLS",
        False,
        "Allow fetching from private, loopback and link-local addresses (tests only): 1 or 0",
        INGEST,
    )
    user_agent: str = _setting(
        "BRIEFBOT_USER_AGENT",
        "briefbot/0.1 (+https://github.com/briefbot/briefbot; news digest bot)",
        "User-Agent sent with every fetch",
        INGEST,
    )

    web_host: str = _setting(
        "BRIEFBOT_WEB_HOST", "127.0.0.1", "Address the web view listens on (keep 127.0.0.1 behind a reverse proxy)", WEB
    )
    web_port: int = _setting("BRIEFBOT_WEB_PORT", 8080, "Port of the web view", WEB, ge=0, le=65535)
    web_in_run: bool = _setting(
        "BRIEFBOT_WEB", False, "Serve the web view beside the chat front ends in `briefbot run`: 1 or 0", WEB
    )
    web_private: bool = _setting(
        "BRIEFBOT_WEB_PRIVATE", False, "Only signed-in editors may read the web view: 1 or 0", WEB
    )
    web_secure_cookies: bool = _setting(
        "BRIEFBOT_WEB_SECURE_COOKIES",
        False,
        "Mark the web view's cookies Secure (set 1 when it is served over HTTPS by a reverse proxy)",
        WEB,
    )
    web_session_hours: float = _setting(
        "BRIEFBOT_WEB_SESSION_HOURS", 12.0, "Hours an editor's sign-in lasts", WEB, gt=0, le=24 * 90
    )

    @field_validator("data_dir", "db_path", "summaries_dir", mode="before")
    @classmethod
    def _expand(cls, value: Any) -> Any:
        return Path(value).expanduser() if isinstance(value, str | Path) else value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("is not an IANA time zone (e.g. Europe/Kyiv)") from None
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @model_validator(mode="before")
    @classmethod
    def _data_paths(cls, values: Any) -> Any:
        """The database and digest folder default to places inside the data folder."""
        if not isinstance(values, dict):
            return values

        def given(*names: str) -> Any:
            return next((values[n] for n in names if values.get(n) not in (None, "")), None)

        data = Path(given("data_dir", "BRIEFBOT_DATA") or default_data_dir()).expanduser()
        values = dict(values)
        values["data_dir"] = data
        db = given("db_path", "BRIEFBOT_DB")
        if db is None:
            values["db_path"] = data / "briefbot.db"
        if given("summaries_dir", "BRIEFBOT_SUMMARIES") is None:
            # A store and its digest folder go together: drafts made for one database must not
            # be loaded into another. A store given elsewhere gets a folder beside it.
            db_file = Path(db).expanduser() if db is not None else data / "briefbot.db"
            same = db_file == data / "briefbot.db"
            values["summaries_dir"] = data / "summaries" if same else db_file.with_name(f"{db_file.stem}-summaries")
        return values

    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def with_(self, **changes: Any) -> Settings:
        """A copy with some settings changed (validated like the original)."""
        return type(self)(**(self.model_dump() | changes))


def env_names() -> dict[str, str]:
    """Setting name -> environment variable."""
    return {name: _extra(field)["env"] for name, field in Settings.model_fields.items()}


def _extra(field: Any) -> dict[str, str]:
    """The environment name and group a setting was declared with (`_setting`)."""
    extra = field.json_schema_extra
    return {"env": str(extra["env"]), "group": str(extra["group"])}


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message names the variable."""


def _explain(exc: ValidationError) -> SettingsError:
    error = exc.errors()[0]
    name = str(error["loc"][0]) if error["loc"] else ""
    env = env_names().get(name, name)
    value = error.get("input")
    shown = "" if value is None or env.endswith(("TOKEN", "SECRET")) else f"={str(value)[:60]!r}"
    message = str(error["msg"]).removeprefix("Value error, ")
    return SettingsError(f"{env}{shown}: {message}")


def load_settings(env_file: Path | str | None = None, **overrides: Any) -> Settings:
    """Read settings: process environment first, then `.env` (current directory or env_file);
    `overrides` (command-line options) win over both. Raises SettingsError naming the variable."""
    path = Path(env_file) if env_file else Path.cwd() / ".env"
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(_env_file=path if path.is_file() else None, **given)  # type: ignore[call-arg]
    except ValidationError as exc:
        raise _explain(exc) from None


def env_example() -> str:
    """`.env.example`, written from the class: every setting with its description, by group."""
    lines = [
        "# briefbot settings. Copy to .env and fill in; values already in the environment win over this file.",
        "# With no chat token set, `briefbot` answers in the local console on the embedded default store.",
        "# (Written by `briefbot settings --example` from bot/settings.py.)",
    ]
    group = None
    for name, field in Settings.model_fields.items():
        extra = _extra(field)
        if extra["group"] != group:
            group = extra["group"]
            lines += ["", f"# --- {group} ---"]
        default = field.default
        if isinstance(default, SecretStr) or default is None or name in ("data_dir", "db_path", "summaries_dir"):
            shown = ""
        elif isinstance(default, bool):
            shown = "1" if default else "0"
        else:
            shown = str(default)
        lines += [f"# {field.description}", f"{extra['env']}={shown}"]
    return "\n".join(lines) + "\n"


__all__ = ["REPO_ROOT", "Secret", "Settings", "SettingsError", "env_example", "env_names", "load_settings"]
