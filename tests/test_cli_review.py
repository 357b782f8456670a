"""The review flow on the command line, end to end in subprocesses, on a real war article:
draft it, see its items, promote refused, one claim accepted and another rejected (and /status
changes at once), the reviewer named in the file, accept --all and promote (no "automatic" label
left on the article), `--db` before or after the subcommand."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SHARED

ARTICLE = (
    SHARED / "data/articles/text/13_mercurynews-ap_2022-04-19_russia-ratchets-up-battle-for-control-of-eastern.txt"
)
ID = "2022-04-19-mercurynews-russia-ratchets-up-battle-for-control-of-eastern-ukraine"


def briefbot(home: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BRIEFBOT_", "DISCORD_", "SLACK_"))}
    env |= {"BRIEFBOT_DATA": str(home / "data"), "BRIEFBOT_REVIEWER": "Olha K.", "BRIEFBOT_LOG_LEVEL": "WARNING"}
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], cwd=home, env=env, capture_output=True, text=True, timeout=120
    )
    assert "Traceback" not in done.stderr, done.stderr
    if ok:
        assert done.returncode == 0, done.stdout + done.stderr
    return done


def claim_line(show: str, words: str) -> str:
    """The id of the claim of `review show` whose evidence holds `words`."""
    lines = show.splitlines()
    for n, line in enumerate(lines):
        if line.startswith("• c") and words in lines[n + 1]:
            return line.split()[1]
    raise AssertionError(f"no claim on {words!r}:\n{show}")


@pytest.mark.skipif(not ARTICLE.is_file(), reason="the shared war articles are not beside this checkout")
def test_review_a_war_article_from_the_command_line(tmp_path: Path) -> None:
    drafted = briefbot(tmp_path, "draft", str(ARTICLE))
    assert f"{ID}.yaml: draft written (new), loaded" in drafted.stdout
    counts = re.search(r"(\d+) quotes, (\d+) claims, (\d+) key points, (\d+) candidate", drafted.stdout)
    assert counts is not None, drafted.stdout
    quotes, claims, points, contradictions = map(int, counts.groups())
    items = quotes + claims + points + contradictions
    listed = briefbot(tmp_path, "review").stdout
    assert "Russia ratchets up battle for control of eastern Ukraine" in listed and f"{items} undecided" in listed

    show = briefbot(tmp_path, "review", "show", ID).stdout
    assert "• k1 key point [undecided]" in show and "• q1 statement:" in show
    assert "in: The cities of Kharkiv and Kramatorsk came under deadly attack" in show  # its paragraph
    refused = briefbot(tmp_path, "review", "promote", ID, ok=False)
    assert refused.returncode == 1 and f"{items} item(s) still undecided: k1, k2" in refused.stderr

    shelling = claim_line(show, "The cities of Kharkiv and Kramatorsk came under deadly attack")
    crimea = next(
        line.split()[1] for line in show.splitlines() if line.startswith("• c") and "Crimea: recaptured" in line
    )
    before = briefbot(tmp_path, "ask", "/status Crimea").stdout
    assert "Ukraine took it back" in before and "automatic, not reviewed" in before
    briefbot(tmp_path, "review", "accept", ID, shelling)
    rejected = briefbot(tmp_path, "--db", str(tmp_path / "data" / "briefbot.db"), "review", "reject", ID, crimea)
    assert f"rejected {crimea} (by Olha K.)" in rejected.stdout
    assert "No claims about Crimea" in briefbot(tmp_path, "ask", "/status Crimea").stdout  # gone at once
    kharkiv = briefbot(tmp_path, "ask", "/status", "Kharkiv").stdout
    block = kharkiv.split("The cities of Kharkiv and Kramatorsk came under deadly attack", 1)[1].splitlines()[1]
    assert "mercurynews, 19 Apr 2022" in block and "automatic" not in block  # accepted: shown as reviewed
    digest_file = (tmp_path / "data" / "summaries" / f"{ID}.yaml").read_text("utf-8")
    assert "review: {state: accepted, by: Olha K., at:" in digest_file
    assert "review: {state: rejected, by: Olha K., at:" in digest_file

    unknown = briefbot(tmp_path, "review", "accept", ID, "c999", ok=False)
    assert f"has no item c999 (see: briefbot review show {ID})" in unknown.stderr
    briefbot(tmp_path, "review", "accept", ID, "--all", "--by", "Borys")
    promoted = briefbot(tmp_path, "review", "promote", ID)
    assert promoted.stdout.strip() == f"{ID}: reviewed"
    digest = briefbot(tmp_path, "ask", "/digest 2022-04-19").stdout
    assert "Russia ratchets up battle" in digest and "automatic" not in digest
    assert "No machine draft is waiting" in briefbot(tmp_path, "review").stdout
    sources = briefbot(tmp_path, "ask", "/sources").stdout
    assert (
        sources.count("Russia ratchets up battle") == 1 and f"{claims - 1} region claims" in sources
    )  # the rejected one: not counted


def test_db_is_taken_before_or_after_the_subcommand_and_has_its_own_digest_folder(tmp_path: Path) -> None:
    other = tmp_path / "desk" / "desk.db"
    other.parent.mkdir()
    first = briefbot(tmp_path, "--db", str(other), "ask", "/sources").stdout
    second = briefbot(tmp_path, "ask", "--db", str(other), "/sources").stdout
    assert first == second and "Kremlin Says Russia Is Done Taking Territory" in first
    assert (tmp_path / "desk" / "desk-summaries" / "speakers.yaml").is_file()  # started from the seed
    assert not (tmp_path / "data" / "summaries").exists()  # the default store's folder is untouched
