"""The console front end and the `briefbot` CLI, run as a user would run them."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.context import Context
from bot.frontends.console import answer_line, run_console
from tests.conftest import REPO, SEED_ID


def cli(
    *args: str, env_extra: dict[str, str] | None = None, cwd: Path | None = None, stdin: str = ""
) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO), **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd or REPO,
        input=stdin,
        timeout=120,
    )


async def test_console_session(ctx: Context) -> None:
    out = io.StringIO()
    await run_console(ctx, stdin=io.StringIO("/help\n\n/status Kherson\n/quit\n/sources\n"), stdout=out)
    text = out.getvalue()
    assert "/status REGION" in text
    assert "Kherson (UA-65)" in text and "Russia withdrew forces, November 2022" in text
    assert "Sources (" not in text  # nothing after /quit


def test_answer_line_json(ctx: Context) -> None:
    text, ok = answer_line(ctx, "/quote Peskov", as_json=True)
    data = json.loads(text)
    assert ok and data["type"] == "QuotesAnswer" and data["speaker"]["id"] == "dmitry-peskov"
    _text, ok = answer_line(ctx, "/quote Nobody Atall")
    assert not ok


def test_cli_ask_status_and_quote(tmp_path: Path, summaries_dir: Path) -> None:
    env = {"BRIEFBOT_DB": str(tmp_path / "x.db"), "BRIEFBOT_SUMMARIES": str(summaries_dir)}
    status = cli("ask", "/status Donetsk", env_extra=env, cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    assert "Donetsk (UA-14)" in status.stdout
    assert (
        "“the four territories it annexed from Ukraine in September—Donetsk, Luhansk, Kherson and Zaporizhzhia”"
        in status.stdout
    )
    assert "Newsweek, 8 Dec 2022" in status.stdout
    quote = cli("ask", "--db", str(tmp_path / "y.db"), "/quote Peskov", env_extra=env, cwd=tmp_path)
    assert quote.returncode == 0 and "Dmitry Peskov, Kremlin spokesman" in quote.stdout
    assert "“But there is nevertheless a lot of work ahead to liberate the territories" in quote.stdout
    assert (tmp_path / "y.db").exists()
    unknown = cli("ask", "/status Narnia", env_extra=env, cwd=tmp_path)
    assert unknown.returncode == 1 and "Unknown region" in unknown.stdout and "Traceback" not in unknown.stderr


def test_cli_load_rejects_tampered_quote(tmp_path: Path, summaries_dir: Path) -> None:
    path = summaries_dir / f"{SEED_ID}.yaml"
    text = path.read_text("utf-8").replace(
        "words: the move is illegitimate", "words: the move is entirely illegitimate"
    )
    path.write_text(text, "utf-8")
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "entirely illegitimate" in row)
    env = {"BRIEFBOT_DB": str(tmp_path / "x.db")}
    result = cli("load", str(summaries_dir), env_extra=env, cwd=tmp_path)
    assert result.returncode == 1
    assert f"{SEED_ID}.yaml:{line}: quotes[3].words: not found verbatim in the article text" in result.stderr
    assert "0 loaded" in result.stdout and "1 refused" in result.stdout
    check = cli("check", str(summaries_dir), env_extra=env, cwd=tmp_path)
    assert check.returncode == 1 and "1 invalid" in check.stdout


def test_cli_console_without_token(tmp_path: Path, summaries_dir: Path) -> None:
    env = {
        "BRIEFBOT_DB": str(tmp_path / "x.db"),
        "BRIEFBOT_SUMMARIES": str(summaries_dir),
        "DISCORD_TOKEN": "",
        "SLACK_BOT_TOKEN": "",
    }
    result = cli(env_extra=env, cwd=tmp_path, stdin="/quote Peskov\n/quit\n")
    assert result.returncode == 0, result.stderr
    assert "briefbot console" in result.stdout and "Dmitry Peskov" in result.stdout


def test_cli_refuses_newer_database(tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "future.db"
    sqlite3.connect(db).execute("PRAGMA user_version = 999")
    result = cli("ask", "--db", str(db), "/sources", cwd=tmp_path)
    assert result.returncode == 1 and "newer than this briefbot understands" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("bad", ["BRIEFBOT_TIMEZONE=Mars/Base", "BRIEFBOT_SHOW_DRAFTS=maybe"])
def test_cli_bad_setting_is_one_line(tmp_path: Path, bad: str) -> None:
    key, value = bad.split("=")
    result = cli("ask", "/help", env_extra={key: value, "BRIEFBOT_DB": str(tmp_path / "x.db")}, cwd=tmp_path)
    assert result.returncode == 1 and key in result.stderr and "Traceback" not in result.stderr


def test_run_picks_up_edited_digest_files(tmp_path: Path, summaries_dir: Path) -> None:
    """`briefbot run` reloads digest files edited since the last load; `ask` does not need to."""
    env = {"BRIEFBOT_DB": str(tmp_path / "x.db"), "BRIEFBOT_SUMMARIES": str(summaries_dir)}
    first = cli(env_extra=env, cwd=tmp_path, stdin="/quote Putin\n/quit\n")
    assert "neo-Nazis" in first.stdout
    path = summaries_dir / f"{SEED_ID}.yaml"
    text = path.read_text("utf-8").replace("speaker: vladimir-putin", "speaker: kremlin")
    path.write_text(text, "utf-8")
    second = cli("run", env_extra=env, cwd=tmp_path, stdin="/quote Putin\n/quit\n")
    assert "No statements by Vladimir Putin in the stored articles yet." in second.stdout
