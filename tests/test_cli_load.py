"""`briefbot load` of a large folder: progress (counts, rate, time left) on a terminal, nothing
of it when piped; and the loader's report, which keeps counts exactly and names only up to a cap."""

from __future__ import annotations

import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

from bench.synthetic import write_corpus
from bot.core.db import Store
from bot.core.digest_files import load as loader
from bot.core.digest_files import load_dir


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BRIEFBOT_", "DISCORD_", "SLACK_"))}
    return env | {"BRIEFBOT_DATA": str(home / "data"), "BRIEFBOT_LOG_LEVEL": "WARNING"}


def _on_a_terminal(args: list[str], env: dict[str, str], cwd: Path) -> tuple[int, str]:
    """Run a command with its stdout and stderr on a pseudo-terminal; (exit code, what it wrote)."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a 100-column terminal
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=follower, stderr=follower, env=env, cwd=cwd)
    os.close(follower)
    out = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closes when the command ends
            break
        if not chunk:
            break
        out += chunk
    os.close(leader)
    return proc.wait(timeout=120), out.decode("utf-8", "replace")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_corpus(tmp_path_factory.mktemp("corpus") / "summaries", 60)


def test_load_shows_progress_on_a_terminal(tmp_path: Path, corpus: Path) -> None:
    code, out = _on_a_terminal(
        [sys.executable, "-m", "bot.cli", "--db", str(tmp_path / "t.db"), "load", str(corpus)], _env(tmp_path), tmp_path
    )
    assert code == 0, out
    assert "60/60" in out and "file/s" in out  # counts and rate (tqdm's bar, with the time left)
    assert "60 loaded, 0 unchanged, 0 removed, 0 refused" in out


def test_load_is_quiet_when_piped(tmp_path: Path, corpus: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "--db", str(tmp_path / "p.db"), "load", str(corpus)],
        env=_env(tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "60 loaded, 0 unchanged, 0 removed, 0 refused"
    assert "file/s" not in done.stderr and "%|" not in done.stderr and "Traceback" not in done.stderr


def test_load_reports_progress_per_window_and_caps_the_names_it_keeps(
    tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(loader, "LOAD_WINDOW", 16)
    monkeypatch.setattr(loader, "NAMES_KEPT", 10)
    calls: list[tuple[int, int]] = []
    with Store(tmp_path / "w.db") as store:
        report = load_dir(store, corpus, workers=1, progress=lambda done, total: calls.append((done, total)))
        assert calls == [(16, 60), (32, 60), (48, 60), (60, 60)]
        assert report.ok and len(report.loaded) == 60 and len(list(report.loaded)) == 10
        names = sorted(p.name for p in corpus.glob("*.yaml") if p.name != "speakers.yaml")
        assert list(report.loaded) == names[:10]  # in name order, across windows
        assert store.execute("SELECT count(*) FROM articles").fetchone()[0] == 60
        again = load_dir(store, corpus, workers=1)
        assert len(again.unchanged) == 60 and len(again.loaded) == 0
