"""The benchmarks' synthetic corpus must load through the real loader (or the benchmarks lie)."""

from __future__ import annotations

from pathlib import Path

from bench.synthetic import write_corpus
from bot.core.db import Store
from bot.core.digest_files import load_dir


def test_synthetic_corpus_loads(tmp_path: Path) -> None:
    corpus = write_corpus(tmp_path / "summaries", 40)
    db = Store(tmp_path / "b.db")
    report = load_dir(db, corpus)
    assert report.ok, report.errors[:3]
    assert len(report.loaded) == 40
    assert db["quotes"].count == 120 and db["region_claims"].count == 160
