"""Benchmark: interactions through the real Discord path, against the fake Discord REST API.

Writes the seed digest plus 10,000 synthetic digest files (`bench/synthetic.py`, quoting the
curated registry's speakers, about 8 articles a day from 2022-02-24), loads them through the
real loader (`load_dir`, parsing in worker processes), starts the fake Discord API on
127.0.0.1 and a logged-in `DiscordFrontend` pointed at it, then feeds 1,000 INTERACTION_CREATE
payloads (a mix of every read command and autocomplete) one after another through discord.py's
command tree, exactly as the gateway would. For each it measures the time
from handing the payload to the client to the moment the fake receives the interaction
callback (the response sent). Prints p50/p90/p99/max overall and per command.

    python -m bench.discord [--articles 10000] [--interactions 1000] [--concurrency 1]

Target: p99 under 100 ms (Discord allows 3 s before the interaction fails).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import discord.http

from bench.synthetic import write_front_end_corpus
from bench.timing import percentile
from bot.context import open_context
from bot.frontends.discord.client import DiscordFrontend
from bot.settings import Secret, Settings
from tests.frontends.discord import payloads as p
from tests.frontends.discord.fake_discord import FakeDiscord
from tests.frontends.discord.limits import CALLBACK

REGION_QUERIES = ("Donetsk", "Kharkiv", "UA-65", "Zaporizhzhia", "Luhansk", "Kherson", "Donetks", "Izium")
SPEAKER_QUERIES = ("Peskov", "Putin", "Zelensky", "Kremlin", "Ukraine", "Dmitri Peskow")


def workload(rng: random.Random, days: list[str]) -> tuple[str, dict[str, Any]]:
    kind = rng.choices(
        ["status", "quote", "digest", "contradictions", "sources", "help", "ac_region", "ac_speaker"],
        weights=[25, 25, 15, 10, 5, 5, 10, 5],
    )[0]
    if kind == "status":
        return kind, p.slash("status", {"region": rng.choice(REGION_QUERIES)})
    if kind == "quote":
        return kind, p.slash("quote", {"speaker": rng.choice(SPEAKER_QUERIES)})
    if kind == "digest":
        return kind, p.slash("digest", {"date": rng.choice(days)} if rng.random() < 0.7 else {})
    if kind == "contradictions":
        return kind, p.slash("contradictions", {"region": "Donetsk"} if rng.random() < 0.5 else {})
    if kind == "ac_region":
        prefix = rng.choice(REGION_QUERIES)[: rng.randint(1, 4)]
        return kind, p.autocomplete("status", {"region": prefix}, "region")
    if kind == "ac_speaker":
        prefix = rng.choice(SPEAKER_QUERIES)[: rng.randint(1, 4)]
        return kind, p.autocomplete("quote", {"speaker": prefix}, "speaker")
    return kind, p.slash(kind)


async def run(articles: int, interactions: int, seed: int, concurrency: int) -> None:
    logging.basicConfig(level=logging.WARNING)
    workdir = Path(tempfile.mkdtemp(prefix="briefbot-bench-"))
    summaries = write_front_end_corpus(workdir / "summaries", articles, seed)
    settings = Settings(db_path=workdir / "bench.db", summaries_dir=summaries, discord_token=Secret("bench"))
    started = time.perf_counter()
    ctx = open_context(settings)  # loads every digest file through the real loader
    print(
        f"store: {ctx.store['articles'].count:,} articles, {ctx.store['quotes'].count:,} quotes, "
        f"{ctx.store['region_claims'].count:,} claims (loaded in {time.perf_counter() - started:.1f} s)"
    )
    published = [r[0] for r in ctx.store.execute("SELECT DISTINCT published FROM articles")]

    fake = FakeDiscord(validate_later=True)  # every body is still validated, after the timed run
    await fake.start()
    frontend = DiscordFrontend(ctx, settings.with_(**{"discord_api_base": fake.base}))
    await frontend.start(connect=False)
    rng = random.Random(seed)
    timings: dict[str, list[float]] = defaultdict(list)
    try:
        for _ in range(20):  # warm up caches and connections; not measured
            _, payload = workload(rng, published)
            done = len(fake.sent("POST", CALLBACK))
            frontend.feed(payload)
            await fake.wait_for(done + 1, "POST", CALLBACK)
        queue = [workload(rng, published) for _ in range(interactions)]

        async def worker() -> None:
            while queue:
                kind, payload = queue.pop()
                callback = fake.callback_for(payload["id"])
                t0 = time.perf_counter()
                frontend.feed(payload)
                sent = await asyncio.wait_for(callback, 10)
                timings[kind].append((sent.received_at - t0) * 1000)

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    finally:
        await frontend.close()
        await fake.close()
        discord.http.Route.BASE = "https://discord.com/api/v10"

    every = [t for values in timings.values() for t in values]
    print(
        f"interactions: {len(every)}, {concurrency} in flight at a time "
        "(payload handed to the client -> callback received by the fake)"
    )
    print(
        f"  p50 {percentile(every, 50):6.1f} ms   p90 {percentile(every, 90):6.1f} ms   "
        f"p99 {percentile(every, 99):6.1f} ms   max {max(every):6.1f} ms   mean {statistics.mean(every):6.1f} ms"
    )
    for kind in sorted(timings):
        values = timings[kind]
        print(
            f"  {kind:15s} n={len(values):4d}  "
            f"p50 {percentile(values, 50):6.1f} ms  p99 {percentile(values, 99):6.1f} ms"
        )
    fake.validate_recorded()
    deferred = sum(1 for r in fake.sent("POST", CALLBACK) if (r.body or {}).get("type") == 5)
    print(
        f"deferred responses: {deferred}; requests validated against the OpenAPI spec: {len(fake.requests)},"
        f" invalid: {len(fake.violations)}"
    )
    for problem in fake.violations[:5]:
        print("  ", problem)
    target = percentile(every, 99) < 100
    print(f"target p99 < 100 ms: {'met' if target else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--interactions", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=1, help="interactions in flight at once")
    args = parser.parse_args()
    asyncio.run(run(args.articles, args.interactions, args.seed, args.concurrency))


if __name__ == "__main__":
    main()
