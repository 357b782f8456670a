"""Settings: one typed class; `.env.example` is what that class writes; values and errors as users see them."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import Settings, SettingsError, env_example, env_names, load_settings
from tests.conftest import REPO


def test_env_example_is_written_from_the_settings_class() -> None:
    assert (REPO / ".env.example").read_text("utf-8") == env_example(), (
        "run: briefbot settings --example > .env.example"
    )
    lines = env_example().splitlines()
    for name, env in env_names().items():
        [at] = [i for i, line in enumerate(lines) if line.startswith(f"{env}=")]
        assert lines[at - 1].startswith("# ") and len(lines[at - 1]) > 10, name


def test_environment_then_dotenv_then_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("BRIEFBOT_FETCH_TIMEOUT=7\nBRIEFBOT_QUIET_DAY=skip\nDISCORD_GUILD_ID=\n", "utf-8")
    monkeypatch.setenv("BRIEFBOT_QUIET_DAY", "notice")  # the environment wins over the file
    monkeypatch.setenv("BRIEFBOT_DATA", str(tmp_path / "data"))
    settings = load_settings()
    assert settings.fetch_timeout_s == 7.0 and settings.quiet_day == "notice" and settings.discord_guild_id is None
    assert settings.db_path == tmp_path / "data" / "briefbot.db"  # data folders under BRIEFBOT_DATA
    assert settings.summaries_dir == tmp_path / "data" / "summaries"
    assert load_settings(db_path=tmp_path / "other.db").db_path == tmp_path / "other.db"  # --db wins


def test_a_bad_value_names_its_variable_and_never_shows_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRIEFBOT_FETCH_TIMEOUT", "soon")
    with pytest.raises(SettingsError, match=r"^BRIEFBOT_FETCH_TIMEOUT='soon': Input should be a valid number"):
        load_settings()
    monkeypatch.delenv("BRIEFBOT_FETCH_TIMEOUT")
    monkeypatch.setenv("BRIEFBOT_TIMEZONE", "Mars/Olympus")
    with pytest.raises(SettingsError, match="BRIEFBOT_TIMEZONE='Mars/Olympus': is not an IANA time zone"):
        load_settings()


def test_secrets_never_print() -> None:
    settings = Settings(discord_token="very-secret-token", slack_signing_secret="also-secret")
    assert "very-secret-token" not in repr(settings) and "very-secret-token" not in str(settings)
    assert "also-secret" not in f"{settings}" and settings.discord_token.get_secret_value() == "very-secret-token"
