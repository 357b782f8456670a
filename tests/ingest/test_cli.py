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
    # the seed text (its metadata in the .json beside it) is the packaged seed, loaded first
    assert [line["status"] for line in lines] == ["new", "duplicate", "refused", "duplicate"]
    assert lines[1]["id"] == "2022-12-08-newsweek-kremlin-territory" and lines[1]["reason"] == "already stored"
    first = lines[0]
    assert set(first) >= {"id", "url", "outlet", "title", "author", "published", "language", "status", "text"}
    assert first["outlet"] == "CNBC" and first["author"] == "Natasha Turak"
    assert lines[2]["reason"] == "not a page or a feed (content type image/png)"
    assert (Path(env["BRIEFBOT_SUMMARIES"]) / f"{first['id']}.yaml").is_file()


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


PASTED = (
    "Ukraine says it recaptured Izium\n\n"
    "Ukrainian forces recaptured Izium on Thursday, the defence ministry said in a statement.\n\n"
    "Kremlin spokesman Dmitry Peskov said Russia still controls the city of Izium and its surroundings.\n\n"
    "Olena Kovalenko, a local teacher, said the shelling of Kharkiv had stopped this month after weeks.\n"
)


def test_pasted_text_needs_a_date_and_an_address(env: dict[str, str], tmp_path: Path) -> None:
    pasted = tmp_path / "izium.txt"
    pasted.write_text(PASTED, "utf-8")
    refused = CliRunner().invoke(cli, ["ingest", str(pasted)])
    assert refused.exit_code == 1
    assert refused.stderr.splitlines()[0] == (
        f"refused   {pasted}: no publication date and no web address: give --published YYYY-MM-DD --url URL, "
        "or put them in izium.json beside it"
    )
    sources = CliRunner().invoke(cli, ["ask", "/sources"])
    assert "Izium" not in sources.stdout  # nothing stored, nothing dated today

    given = CliRunner().invoke(
        cli,
        ["ingest", str(pasted), "--published", "2022-09-16", "--url", "https://example.org/izium", "--outlet", "Wire"],
    )
    assert given.exit_code == 0, given.output
    [article_id] = [line.split()[1] for line in given.stdout.splitlines() if line.startswith("new ")]
    assert article_id.startswith("2022-09-16-wire-")
    digest_file = Path(env["BRIEFBOT_SUMMARIES"]) / f"{article_id}.yaml"
    assert "review: draft" in digest_file.read_text("utf-8")  # drafted like any other article
    status = CliRunner().invoke(cli, ["ask", "/status Kharkiv"])
    assert "Wire, 16 Sep 2022" in status.stdout and "automatic, not reviewed" in status.stdout
    sources = CliRunner().invoke(cli, ["ask", "/sources"])
    assert sources.stdout.count("Ukraine says it recaptured Izium") == 1
    assert "1 Dec 2026" not in sources.stdout


def test_pasted_text_metadata_from_a_json_beside_it(env: dict[str, str], tmp_path: Path) -> None:
    pasted = tmp_path / "izium.txt"
    pasted.write_text(PASTED, "utf-8")
    # the shared seed's shape: link, source.title, published_date with a time
    (tmp_path / "izium.json").write_text(
        json.dumps(
            {
                "title": "Izium retaken",
                "link": "https://example.org/izium",
                "source": {"title": "Kyiv Wire"},
                "published_date": "2022-09-16T07:00:00+00:00",
            }
        ),
        "utf-8",
    )
    result = CliRunner().invoke(cli, ["ingest", "--json", str(pasted)])
    assert result.exit_code == 0, result.output
    [line] = [json.loads(x) for x in result.stdout.splitlines()]
    assert (line["title"], line["outlet"], line["published"], line["url"]) == (
        "Izium retaken",
        "Kyiv Wire",
        "2022-09-16",
        "https://example.org/izium",
    )
    # options win over the sidecar; a broken sidecar is named with its line
    (tmp_path / "broken.txt").write_text(PASTED, "utf-8")
    (tmp_path / "broken.json").write_text('{\n  "title": "x",\n  "url": \n}', "utf-8")
    broken = CliRunner().invoke(cli, ["ingest", str(tmp_path / "broken.txt")])
    assert broken.exit_code == 1 and f"{tmp_path / 'broken.json'}:4: not valid JSON" in broken.stderr
    assert "Traceback" not in broken.output
    several = CliRunner().invoke(
        cli, ["ingest", str(pasted), str(tmp_path / "broken.txt"), "--published", "2022-09-16"]
    )
    assert several.exit_code == 2 and "describe one local file" in several.output
    bad_date = CliRunner().invoke(cli, ["ingest", str(pasted), "--published", "16/09/2022"])
    assert bad_date.exit_code == 2 and "'16/09/2022' is not a date" in bad_date.output


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
