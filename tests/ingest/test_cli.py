"""`briefbot ingest` and `briefbot feeds` end to end: real CLI, real store, pages on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli
from tests.ingest.conftest import CNBC_EMIRATES, SEED, LocalServer, page_id


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = {
        "BRIEFBOT_DB": str(tmp_path / "cli.db"),
        "BRIEFBOT_SUMMARIES": str(tmp_path / "summaries"),
        "BRIEFBOT_ALLOW_PRIVATE_URLS": "1",
        "BRIEFBOT_FETCH_TIMEOUT": "5",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)  # no stray .env
    return values


def test_ingest_json_lines_and_exit_status(server: LocalServer, env: dict[str, str]) -> None:
    url = f"{server.base}/html/{page_id(CNBC_EMIRATES)}.html"
    result = CliRunner().invoke(cli, ["ingest", "--json", url, str(SEED), f"{server.base}/image.png", url])
    assert result.exit_code == 1  # one source was refused
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["status"] for line in lines] == ["new", "new", "refused", "duplicate"]
    first = lines[0]
    assert set(first) >= {"id", "url", "outlet", "title", "author", "published", "language", "status", "text"}
    assert first["outlet"] == "CNBC" and first["author"] == "Natasha Turak"
    assert lines[2]["reason"] == "not a page or a feed (content type image/png)"
    assert (Path(env["BRIEFBOT_SUMMARIES"]) / f"{first['id']}.yaml").is_file()
    # the seed has no web address: no skeleton (a digest file needs the article's URL)
    assert not list(Path(env["BRIEFBOT_SUMMARIES"]).glob("*newsweek*"))


def test_ingested_articles_are_listed_by_sources_and_digest(server: LocalServer, env: dict[str, str]) -> None:
    url = f"{server.base}/html/{page_id(CNBC_EMIRATES)}.html"
    ingested = CliRunner().invoke(cli, ["ingest", url])
    assert ingested.exit_code == 0, ingested.output
    assert ingested.stdout.startswith("new ")
    sources = CliRunner().invoke(cli, ["ask", "/sources"])
    assert "Emirates inks $9 billion order" in sources.stdout
    # ingestion drafted it: the draft is shown, labelled as a machine's unreviewed work
    digest = CliRunner().invoke(cli, ["ask", "/digest 2019-11-20"])
    assert "[automatic, not reviewed]" in digest.stdout
    assert "Emirates inks $9 billion order" in digest.stdout
    # with drafts hidden, the article is only listed as not yet reviewed
    hidden = CliRunner().invoke(cli, ["ask", "/digest 2019-11-20"], env={"BRIEFBOT_SHOW_DRAFTS": "0"})
    assert "New, not yet reviewed" in hidden.stdout and "automatic, not reviewed" not in hidden.stdout
    assert "Emirates inks $9 billion order" in hidden.stdout


def test_plain_output_and_one_line_errors(env: dict[str, str], tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n")
    result = CliRunner().invoke(cli, ["ingest", str(empty), "file:///etc/passwd"])
    assert result.exit_code == 1
    assert f"refused   {empty}: empty file" in result.stderr
    assert "refused   file:///etc/passwd: only http and https URLs are fetched, not 'file'" in result.stderr
    assert "Traceback" not in result.output


def test_feeds_add_list_remove(server: LocalServer, env: dict[str, str]) -> None:
    runner = CliRunner()
    url = f"{server.base}/feed/conditional.xml"
    added = runner.invoke(cli, ["feeds", "add", url])
    assert added.exit_code == 0, added.output
    assert "following feed 1" in added.stdout and "BBC News" in added.stdout
    again = runner.invoke(cli, ["feeds", "add", url])
    assert "already following feed 1" in again.stdout
    bad = runner.invoke(cli, ["feeds", "add", f"{server.base}/feed/broken.xml"])
    assert bad.exit_code == 1 and "malformed feed" in bad.stderr
    listed = runner.invoke(cli, ["feeds", "list", "--json"])
    [row] = [json.loads(line) for line in listed.stdout.splitlines()]
    assert row["url"] == url and row["failures"] == 0
    polled = runner.invoke(cli, ["feeds", "poll"])
    assert "feed 1 ok: 1 new" in polled.stdout
    removed = runner.invoke(cli, ["feeds", "remove", "1"])
    assert "stopped following feed 1" in removed.stdout
    missing = runner.invoke(cli, ["feeds", "remove", "1"])
    assert missing.exit_code == 1 and "no followed feed" in missing.stderr
