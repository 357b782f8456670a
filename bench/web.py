"""Benchmark of the web view: page latency on the seed plus N synthetic articles (default 10,000).

    python -m bench.web                 # N = 10,000
    python -m bench.web --n 1000 --runs 200

Loads the corpus (`bench.synthetic.write_front_end_corpus`) into a store, starts the real server
(`briefbot web`, uvicorn, in its own process) on 127.0.0.1, and times whole HTTP requests from
this process (httpx, one keep-alive connection): the front page, region pages, article pages
(as a reader and as a signed-in editor, with the review forms) and searches, each with a
random region, article or word. Prints p50/p99 per page; targets: p99 < 50 ms per page, search
p99 < 100 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.timing import percentile

WORDS = [
    "shelling", "liberate", "annexed", "Peskov", "Zelensky", "Kherson", "Donetsk", "withdrew", "control",
    '"no plans"', "Kharkiv OR Izium", "liber*", "front line", "territory", "Kremlin", "drone", "troops",
]  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10_000, help="synthetic articles besides the seed")
    parser.add_argument("--runs", type=int, default=300, help="requests per page")
    args = parser.parse_args()
    from bench.synthetic import ukraine_regions, write_front_end_corpus
    from bot.core.db import Store
    from bot.core.digest_files import load_dir
    from bot.core.editors import add_editor

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        folder = write_front_end_corpus(work / "summaries", args.n)
        store = Store(work / "web.db")
        started = time.perf_counter()
        report = load_dir(store, folder)
        assert report.ok, report.errors[:3]
        print(f"loaded {len(report.loaded):,} articles in {time.perf_counter() - started:.0f} s")
        import datetime as dt

        add_editor(store, "bench", "a benchmark password", dt.datetime.now(dt.UTC))
        ids = [r[0] for r in store.execute("SELECT id FROM articles")]
        store.close()
        port = _free_port()
        env = os.environ | {"BRIEFBOT_DB": str(work / "web.db"), "BRIEFBOT_SUMMARIES": str(folder)}
        server = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "web", "--port", str(port)], env=env, stderr=subprocess.DEVNULL
        )
        base = f"http://127.0.0.1:{port}"
        try:
            with httpx.Client(base_url=base, timeout=30) as client:
                deadline = time.monotonic() + 120
                while True:
                    try:
                        if client.get("/static/style.css").status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    assert time.monotonic() < deadline and server.poll() is None, "the web view did not start"
                    time.sleep(0.2)
                editor = httpx.Client(base_url=base, timeout=30, follow_redirects=True)
                editor.get("/signin")
                signed = editor.post(
                    "/signin",
                    data={
                        "name": "bench",
                        "password": "a benchmark password",
                        "csrf": editor.cookies["briefbot_signin"],
                    },
                )
                assert signed.status_code == 200 and "Signed in as" in signed.text
                rng = random.Random(1)
                regions = [code for code, _name in ukraine_regions()]
                pages = {
                    "front page": lambda: client.get("/"),
                    "region": lambda: client.get(f"/region/{rng.choice(regions)}"),
                    "article": lambda: client.get(f"/article/{rng.choice(ids)}"),
                    "article (editor)": lambda: editor.get(f"/article/{rng.choice(ids)}"),
                    "speaker": lambda: client.get("/speaker/dmitry-peskov"),
                    "search": lambda: client.get("/search", params={"q": rng.choice(WORDS)}),
                }
                print(f"seed + {args.n:,} synthetic articles, {args.runs} requests per page, over HTTP on 127.0.0.1")
                for name, call in pages.items():
                    for _ in range(10):  # warm the page cache and the templates
                        call()
                    samples = []
                    for _ in range(args.runs):
                        t0 = time.perf_counter()
                        response = call()
                        samples.append((time.perf_counter() - t0) * 1000)
                        assert response.status_code == 200, (name, response.status_code)
                    target = 100 if name == "search" else 50
                    p99 = percentile(samples, 99)
                    print(
                        f"    {name:<18} p50 {statistics.median(samples):6.2f} ms   p99 {p99:6.2f} ms"
                        f"   (target p99 < {target} ms: {'met' if p99 < target else 'MISSED'})"
                    )
                editor.close()
        finally:
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    main()
