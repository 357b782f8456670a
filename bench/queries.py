"""Benchmark of the core: load N synthetic articles, then time every query.

    python -m bench.queries                 # N = 1,000, 10,000 and 100,000
    python -m bench.queries --n 1000 --n 10000

Each N runs in its own process (so peak memory is that N's alone) and prints: load
throughput (articles/s, through the real digest-file loader: hashing, YAML parse, validation
and rows in worker processes, 256 articles per transaction), the writing process's CPU time per
article (robust to other load on a shared machine), p50/p99 latency of each query with the
items its answer holds and the 4 KB pages it read from the disk (a miss of the OS page cache:
Linux only), database size and peak RSS. The last lines compare p99 at the largest N with the
smallest, as a ratio within one run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

QUERY_RUNS = 300


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def _rows(answer: object) -> int:
    """How many items an answer holds (what its cost is bounded by, with the answer caps)."""
    from bot.core.models import BriefingAnswer, ContradictionsAnswer, QuotesAnswer, SourcesAnswer, StatusAnswer

    if isinstance(answer, StatusAnswer):
        return sum(len(g.claims) for g in answer.by_source) + len(answer.contradictions)
    if isinstance(answer, QuotesAnswer):
        return len(answer.quotes)
    if isinstance(answer, BriefingAnswer):
        parts = (answer.articles, answer.key_points, answer.regions, answer.quotes, answer.contradictions)
        return sum(len(part) for part in parts)
    if isinstance(answer, ContradictionsAnswer):
        return len(answer.items)
    if isinstance(answer, SourcesAnswer):
        return len(answer.articles)
    raise TypeError(type(answer))


def _disk_reads() -> int | None:
    """Bytes this process has read from the disk itself (not from the OS page cache), on Linux:
    how a query that misses the cache is told from one that is slow in itself."""
    try:
        with open("/proc/self/io") as io:
            return next(int(line.split()[1]) for line in io if line.startswith("read_bytes:"))
    except (OSError, StopIteration, ValueError):
        return None


def run_one(n: int, workdir: Path) -> dict:
    from bench.synthetic import speakers as synthetic_speakers
    from bench.synthetic import ukraine_regions, write_corpus
    from bot.core import queries
    from bot.core.db import Store
    from bot.core.digest_files import load_dir
    from bot.core.gazetteer import load_gazetteer
    from bot.core.speakers import load_registry

    corpus = write_corpus(workdir / "summaries", n)
    db_path = workdir / "bench.db"
    db = Store(db_path)
    before_load = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    start, cpu_start = time.perf_counter(), time.process_time()
    report = load_dir(db, corpus)
    after_load = dt.datetime.now(dt.UTC)
    load_s = time.perf_counter() - start
    load_cpu_ms = (time.process_time() - cpu_start) * 1000 / n  # this process only: noise-robust
    assert report.ok and len(report.loaded) == n, report.errors[:3]
    gazetteer, speakers = load_gazetteer(), load_registry(db)
    rng = random.Random(1)
    regions = [name for _code, name in ukraine_regions()]
    people = [s["name"] for s in synthetic_speakers()]
    days = [r[0] for r in db.execute("SELECT DISTINCT published FROM articles")]
    cases = {
        "status": lambda: queries.status(db, gazetteer, speakers, rng.choice(regions)),
        "quote": lambda: queries.quotes(db, speakers, rng.choice(people)),
        "digest latest": lambda: queries.briefing(db, gazetteer, speakers),
        "digest of a day": lambda: queries.briefing(
            db, gazetteer, speakers, day=dt.date.fromisoformat(rng.choice(days))
        ),
        # The scheduler's "new since the last digest", at both ends: every article was loaded in
        # one go, so either all of them are new or none is (a quiet day).
        "digest new since: all": lambda: queries.briefing(db, gazetteer, speakers, since=before_load),
        "digest new since: none": lambda: queries.briefing(db, gazetteer, speakers, since=after_load),
        "contradictions": lambda: queries.contradictions(db, gazetteer),
        "contradictions REGION": lambda: queries.contradictions(db, gazetteer, rng.choice(regions)),
        "sources": lambda: queries.sources(db),
    }
    timings = {}
    for name, call in cases.items():
        samples, rows = [], 0
        reads_before = _disk_reads()
        for _ in range(QUERY_RUNS):
            t0 = time.perf_counter()
            answer = call()
            samples.append((time.perf_counter() - t0) * 1000)
            rows += _rows(answer)
        reads_after = _disk_reads()
        timings[name] = {
            "p50_ms": statistics.median(samples),
            "p99_ms": _percentile(samples, 99),
            "rows": rows / QUERY_RUNS,
            "disk_pages": None
            if reads_before is None or reads_after is None
            else (reads_after - reads_before) / 4096 / QUERY_RUNS,
        }
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    size = db_path.stat().st_size
    return {
        "n": n,
        "load_articles_per_s": n / load_s,
        "load_s": load_s,
        "load_main_cpu_ms": load_cpu_ms,
        "queries": timings,
        "db_mb": size / 1e6,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, action="append", help="articles (repeatable); default 1000, 10000, 100000")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        with tempfile.TemporaryDirectory() as tmp:
            print(json.dumps(run_one(args.one, Path(tmp))))
        return
    results = []
    for n in args.n or [1000, 10000, 100000]:
        out = subprocess.run(
            [sys.executable, "-m", "bench.queries", "--one", str(n)], capture_output=True, text=True, check=True
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        results.append(r)
        print(
            f"N={n:>7,}: load {r['load_articles_per_s']:,.0f} articles/s ({r['load_s']:.1f} s wall, "
            f"{r['load_main_cpu_ms']:.2f} ms CPU/article in the writing process), "
            f"db {r['db_mb']:.1f} MB, peak RSS {r['peak_rss_mb']:.0f} MB"
        )
        for name, t in r["queries"].items():
            disk = "" if t["disk_pages"] is None else f"   {t['disk_pages']:6.1f} pages read from disk"
            print(
                f"    {name:<22} p50 {t['p50_ms']:6.2f} ms   p99 {t['p99_ms']:6.2f} ms   {t['rows']:6.1f} items{disk}"
            )
        sys.stdout.flush()
    if len(results) > 1:
        lo, hi = results[0], results[-1]
        print(f"p99 ratio N={hi['n']:,} / N={lo['n']:,} (target < 3), and per item where the answers differ in size:")
        for name in lo["queries"]:
            a, b = lo["queries"][name], hi["queries"][name]
            ratio = b["p99_ms"] / max(a["p99_ms"], 1e-6)
            line = f"    {name:<22} {ratio:5.2f}"
            if abs(b["rows"] - a["rows"]) > 0.05 * max(a["rows"], 1):
                per_item = (b["p99_ms"] / max(b["rows"], 1)) / max(a["p99_ms"] / max(a["rows"], 1), 1e-6)
                line += f"   ({a['rows']:.0f} -> {b['rows']:.0f} items: {per_item:.2f} per item)"
            print(line)
        for other in results[:-1]:  # the memory target compares with N = 100,000
            print(f"peak RSS ratio N={hi['n']:,} / N={other['n']:,}: {hi['peak_rss_mb'] / other['peak_rss_mb']:.2f}")


if __name__ == "__main__":
    main()
