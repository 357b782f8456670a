"""Bombs under a memory limit: a process capped at 400 MB of address space (`ulimit -v`) fetches
gzip bombs and loads alias-bomb digest files, and ends with short refusals, not MemoryError."""

from __future__ import annotations

import resource
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.conftest import REPO, SUMMARIES
from tests.ingest.conftest import LocalServer

LIMIT = 400 * 1024 * 1024

SCRIPT = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from bot.core.db import Store
    from bot.core.digest_files import load_dir
    from bot.ingest.fetch import Fetcher, FetchError
    from bot.settings import Settings

    base, folder, db = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    settings = Settings(db_path=db, summaries_dir=folder, allow_private_urls=True, fetch_max_bytes=5_000_000)

    async def fetch_bombs():
        async with Fetcher(settings, retries=0) as fetcher:
            for path in ("/bomb/gzip", "/bomb/gzip-gzip", "/bomb/gzip", "/bomb/gzip-gzip"):
                try:
                    await fetcher.fetch(base + path)
                except FetchError as exc:
                    print("refused:", exc)
                else:
                    raise SystemExit("a bomb was read whole")

    asyncio.run(fetch_bombs())
    report = load_dir(Store(db), folder, workers=1)
    for error in report.errors:
        print("refused:", error)
    print("loaded:", list(report.loaded))
    print("peak kB:", open("/proc/self/status").read().split("VmPeak:")[1].split()[0])
    """
)

LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)},*{chr(97 + i)}]\n" for i in range(12)
)


def _cap() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))


def test_bombs_stay_under_400_mb(server: LocalServer, tmp_path: Path) -> None:
    folder = tmp_path / "summaries"
    folder.mkdir()
    shutil.copy(SUMMARIES / "speakers.yaml", folder)
    (folder / "billion-laughs.yaml").write_text(LAUGHS, "utf-8")
    (folder / "loop.yaml").write_text("captions: &c [*c]\nquotes: *c\n", "utf-8")
    for suffix in (".yaml", ".txt"):
        shutil.copy(SUMMARIES / f"2022-12-08-newsweek-kremlin-territory{suffix}", folder)
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, server.base, str(folder), str(tmp_path / "s.db")],
        capture_output=True,
        text=True,
        cwd=REPO,
        preexec_fn=_cap,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    assert out.count("refused: too large: more than 5000000 bytes") == 2
    assert out.count("refused: refused: stacked content encodings (gzip, gzip)") == 2
    assert "billion-laughs.yaml:1: anchors and aliases" in out and "loop.yaml:1: anchors and aliases" in out
    assert "loaded: ['2022-12-08-newsweek-kremlin-territory.yaml']" in out
    assert "MemoryError" not in result.stderr
