"""Ingestion benchmark: throughput and memory of the whole path, and body-extraction quality.

1. Throughput: N pages (default 500) served from 127.0.0.1 by a separate server process,
   ingested by `Ingestor` (fetch, extract in a process pool, dedupe, store in a fresh SQLite
   file, no skeleton export). The 91 benchmark pages are served under N distinct URLs, so
   the run holds 91 new articles and N-91 duplicate submissions (decided by content hash after
   extraction: every page is fetched and extracted). Prints articles/s and peak RSS of the
   main process and of the extraction workers.
2. Quality: body token precision/recall/F1 on shared/data/articles/html/ against its ground
   truth, computed as the benchmark (scrapinghub/article-extraction-benchmark) does: `\\w+`
   tokens, multisets of 4-token shingles, per-page TP/FP/FN normalised to sum to 1, P and R
   averaged over pages, F1 the harmonic mean of the averages. briefbot's extractor and
   trafilatura at its defaults are scored side by side in the same run.

Run: python bench/ingest.py [--pages 500] [--workers 2] [--inline] [--skip-throughput] [--skip-quality]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import multiprocessing
import os
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.core.db import Store
from bot.settings import Settings

HTML_DIR = Path("/work/shared/data/articles/html")
_TOKEN = re.compile(r"\w+")


# ------------------------------------------------------------------------------ quality


def _shingles(text: str) -> Counter:
    tokens = _TOKEN.findall(text)
    return Counter(tuple(tokens[i : i + 4]) for i in range(max(1, len(tokens) - 3))) if tokens else Counter()


def _page_pr(predicted: str, truth: str) -> tuple[float, float]:
    a, b = _shingles(predicted), _shingles(truth)
    tp, fp, fn = sum((a & b).values()), sum((a - b).values()), sum((b - a).values())
    total = tp + fp + fn
    if total == 0:
        return 1.0, 1.0
    tp, fp, fn = tp / total, fp / total, fn / total
    return (tp / (tp + fp) if tp + fp else 0.0), (tp / (tp + fn) if tp + fn else 0.0)


def score(extract, pages: dict[str, tuple[str, str]]) -> dict[str, float]:  # type: ignore[no-untyped-def]
    precision = recall = 0.0
    exact = 0
    start = time.perf_counter()
    for html, truth in pages.values():
        try:
            predicted = extract(html) or ""
        except Exception:  # a refused page scores zero, as an empty extraction would
            predicted = ""
        p, r = _page_pr(predicted, truth)
        precision += p
        recall += r
        exact += _TOKEN.findall(predicted) == _TOKEN.findall(truth)
    seconds = time.perf_counter() - start
    n = len(pages)
    precision, recall = precision / n, recall / n
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "accuracy": exact / n, "pages_per_s": n / seconds}


def quality() -> None:
    import trafilatura

    from bot.ingest.page_text import extract_body_text

    truth = json.loads((HTML_DIR / "ground-truth.json").read_text("utf-8"))
    pages = {k: ((HTML_DIR / f"{k}.html").read_bytes().decode("utf-8"), v["articleBody"]) for k, v in truth.items()}
    print(f"body quality on {len(pages)} pages of {HTML_DIR} (benchmark shingle method):")
    print(f"  {'extractor':<34} {'precision':>9} {'recall':>7} {'F1':>7} {'exact':>6} {'pages/s':>8}")
    for name, fn in (
        ("trafilatura 2.3.1 defaults", trafilatura.extract),
        ("briefbot (bot.ingest.page_text)", extract_body_text),
    ):
        s = score(fn, pages)
        print(
            f"  {name:<34} {s['precision']:>9.4f} {s['recall']:>7.4f} {s['f1']:>7.4f} "
            f"{s['accuracy']:>6.3f} {s['pages_per_s']:>8.1f}"
        )


# ------------------------------------------------------------------------------ throughput


def _serve(port_queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    from aiohttp import web

    pages = {p.name: p.read_bytes() for p in HTML_DIR.glob("*.html")}

    async def page(request: web.Request) -> web.Response:
        return web.Response(body=pages[request.match_info["name"]], content_type="text/html", charset="utf-8")

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/{n}/{name}", page)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port_queue.put(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
        await asyncio.Event().wait()

    asyncio.run(main())


def _cpu_s(pid: int | str) -> float:
    """User + system CPU seconds of a process so far (Linux /proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _peak_rss_mb(pid: int | str) -> float:
    """Peak resident memory of a process (Linux VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def throughput(n_pages: int, pool_size: int, inline: bool) -> None:
    from bot.ingest.pipeline import Ingestor, extraction_pool

    names = sorted(p.name for p in HTML_DIR.glob("*.html"))
    queue: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    server = multiprocessing.Process(target=_serve, args=(queue,), daemon=True)
    server.start()
    port = queue.get(timeout=30)
    urls = [f"http://127.0.0.1:{port}/{i}/{names[i % len(names)]}" for i in range(n_pages)]
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            db_path=Path(tmp) / "bench.db",
            summaries_dir=Path(tmp) / "summaries",
            allow_private_urls=True,
            fetch_concurrency=8,
        )
        db = Store(settings.db_path)
        executor = extraction_pool(pool_size) if pool_size > 0 else None
        if executor is not None:  # start the workers (and load the extractor) before the clock
            list(executor.map(exec, ["import bot.ingest.documents"] * pool_size))
            worker_pids = list(executor._processes)  # type: ignore[attr-defined]
        else:
            worker_pids = []
        rss_before = _peak_rss_mb("self")
        main_before = _cpu_s("self")
        workers_before = sum(_cpu_s(pid) for pid in worker_pids)
        start = time.perf_counter()
        ingestor = Ingestor(
            db,
            settings,
            clock=lambda: dt.datetime.now(dt.UTC),
            executor=executor,
            inline_lanes=1 if inline else 0,
            export_skeletons=False,
        )
        results = asyncio.run(ingestor.ingest(urls))
        seconds = time.perf_counter() - start
        worker_peaks = [_peak_rss_mb(pid) for pid in worker_pids]
        cpu_main = _cpu_s("self") - main_before
        cpu_workers = sum(_cpu_s(pid) for pid in worker_pids) - workers_before
        cpu = cpu_main + cpu_workers
        if executor is not None:
            executor.shutdown()
        db_size = settings.db_path.stat().st_size / 1e6
    server.terminate()
    counts = Counter(r.status for r in results)
    reasons = Counter(r.reason for r in results if r.status == "refused")
    main_rss = _peak_rss_mb("self")
    lanes = f"{pool_size} worker processes" + (" + this process" if inline or not pool_size else "")
    print(f"throughput: {n_pages} pages from 127.0.0.1, extraction in {lanes}")
    print(f"  {seconds:.2f} s, {n_pages / seconds:.1f} articles/s (fetch + extract + dedupe + store)")
    print(
        f"  CPU: {cpu:.2f} s (main {cpu_main:.2f} s, workers {cpu_workers:.2f} s) = {n_pages / cpu:.1f} articles"
        f" per CPU-second, i.e. at most {2 * n_pages / cpu:.1f} articles/s on 2 cores nobody else uses"
    )
    print(f"  results: {dict(counts)}" + (f", refused: {dict(reasons)}" if reasons else ""))
    peaks = ", ".join(f"{p:.0f}" for p in worker_peaks) or "-"
    print(f"  peak RSS (VmHWM): main process {main_rss:.0f} MB (at start {rss_before:.0f} MB), workers {peaks} MB;")
    print(f"  all ingest processes together at most {main_rss + sum(worker_peaks):.0f} MB; database {db_size:.1f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2, help="extraction worker processes (0: in this process)")
    parser.add_argument("--inline", action="store_true", help="this process extracts too (one process less memory)")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--skip-quality", action="store_true")
    args = parser.parse_args()
    if not args.skip_throughput:
        throughput(args.pages, args.workers, args.inline)
    if not args.skip_quality:
        quality()


if __name__ == "__main__":
    main()
