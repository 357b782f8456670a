"""Hostile input, measured: a page of 100,000 links, a gzip bomb, and a gzip-in-gzip bomb.

    python -m bench.hostile

Prints, for each, what happened (refused, and why), the time it took and the process's peak RSS
after it (each case in a fresh process, so one case's memory does not hide another's).
"""

from __future__ import annotations

import asyncio
import json
import resource
import subprocess
import sys
import time
import zlib


def _link_farm() -> str:
    from bot.ingest.clean import ExtractionError
    from bot.ingest.page_text import extract_html

    html = "<html><body>" + "".join(f'<a href="/l{i}">link number {i}</a> ' for i in range(100_000)) + "</body></html>"
    try:
        extract_html(html, "https://links.example/")
    except ExtractionError as exc:
        return f"refused: {exc} ({len(html) / 1e6:.1f} MB page)"
    return "extracted (!)"


def _bomb(layers: int) -> str:
    from aiohttp import web

    from bot.ingest.fetch import Fetcher, FetchError
    from bot.settings import Settings

    deflate = zlib.compressobj(6, zlib.DEFLATED, 31)
    body = b"".join([deflate.compress(b"A" * 1_000_000) for _ in range(200)] + [deflate.flush()])
    for _ in range(layers - 1):
        body = zlib.compress(body)  # the second layer as a gzip stream would be; size is what counts
    encoding = ", ".join(["gzip"] * layers)

    async def main() -> str:
        async def handler(request: web.Request) -> web.Response:
            return web.Response(body=body, headers={"Content-Type": "text/html", "Content-Encoding": encoding})

        app = web.Application()
        app.router.add_get("/", handler)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        settings = Settings(allow_private_urls=True)
        try:
            async with Fetcher(settings, retries=0) as fetcher:
                await fetcher.fetch(f"http://127.0.0.1:{port}/")
        except FetchError as exc:
            return f"refused: {exc} ({len(body):,} bytes on the wire, 200 MB inflated)"
        finally:
            await runner.cleanup()
        return "read whole (!)"

    return asyncio.run(main())


CASES = {"link farm": _link_farm, "gzip bomb": lambda: _bomb(1), "gzip, gzip bomb": lambda: _bomb(2)}


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--one":
        started = time.perf_counter()
        outcome = CASES[sys.argv[2]]()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({"outcome": outcome, "s": time.perf_counter() - started, "peak_mb": peak}))
        return
    for name in CASES:
        out = subprocess.run([sys.executable, "-m", "bench.hostile", "--one", name], capture_output=True, text=True)
        result = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{name:16s} {result['s']:6.2f} s  peak RSS {result['peak_mb']:5.0f} MB  {result['outcome']}")


if __name__ == "__main__":
    main()
