"""Benchmark: /briefbot commands through the real Slack path (signed HTTP -> Bolt -> response_url).

Writes the seed digest plus N synthetic digest files (`bench/synthetic.py`, as bench.discord)
and loads them through the real loader (`load_dir`), starts the fake Slack Web API on
127.0.0.1 and a `SlackFrontend` in HTTP mode pointed at it, then sends signed slash-command
requests (a mix of every read command) over HTTP, one after another. For each it measures
  ack:    POST sent -> HTTP 200 received (Slack fails a command not acknowledged in 3 s)
  answer: POST sent -> the last message of the answer received at its response_url
and checks every message against Slack's limits. Prints p50/p90/p99/max, overall and per command.

    python -m bench.slack [--articles 10000] [--commands 1000]

Targets: ack p99 under 100 ms (limit 3 s); answer p99 under 250 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import re
import statistics
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from bench.synthetic import write_front_end_corpus
from bench.timing import percentile
from bot.context import open_context
from bot.frontends.slack import SlackFrontend
from bot.render.slack_blocks import MAX_BLOCKS, MAX_SECTION_TEXT, all_texts
from bot.settings import Settings
from tests.frontends.slack.conftest import command_payload, post_command, slack_settings
from tests.frontends.slack.fake_slack import FakeSlack

REGION_QUERIES = ("Donetsk", "Kharkiv", "UA-65", "Zaporizhzhia", "Luhansk", "Kherson", "Donetks", "Izium")
SPEAKER_QUERIES = ("Peskov", "Putin", "Zelensky", "Kremlin", "Ukraine", "Dmitri Peskow")


PART = re.compile(r"\(1/(\d+)\)$")


def workload(rng: random.Random, days: list[str]) -> tuple[str, str]:
    kind = rng.choices(["status", "quote", "digest", "contradictions", "sources", "help"], [30, 30, 15, 10, 10, 5])[0]
    if kind == "status":
        return kind, f"status {rng.choice(REGION_QUERIES)}"
    if kind == "quote":
        return kind, f"quote {rng.choice(SPEAKER_QUERIES)}"
    if kind == "digest":
        return kind, f"digest {rng.choice(days)}" if rng.random() < 0.7 else "digest"
    if kind == "contradictions":
        return kind, "contradictions Donetsk" if rng.random() < 0.5 else "contradictions"
    return kind, kind


def line(label: str, values: list[float]) -> str:
    return (
        f"  {label:15s} n={len(values):4d}  p50 {percentile(values, 50):6.1f} ms  p90 {percentile(values, 90):6.1f} ms"
        f"  p99 {percentile(values, 99):6.1f} ms  max {max(values):6.1f} ms  mean {statistics.mean(values):6.1f} ms"
    )


async def run(articles: int, commands: int, seed: int) -> None:
    logging.basicConfig(level=logging.WARNING)
    workdir = Path(tempfile.mkdtemp(prefix="briefbot-bench-"))
    summaries = write_front_end_corpus(workdir / "summaries", articles, seed)
    settings = Settings(db_path=workdir / "bench.db", summaries_dir=summaries)
    started = time.perf_counter()
    ctx = open_context(settings)  # loads every digest file through the real loader
    print(
        f"store: {ctx.store['articles'].count:,} articles, {ctx.store['quotes'].count:,} quotes, "
        f"{ctx.store['region_claims'].count:,} claims (loaded in {time.perf_counter() - started:.1f} s)"
    )
    days = [r[0] for r in ctx.store.execute("SELECT DISTINCT published FROM articles")]
    fake = FakeSlack()
    await fake.start()
    frontend = SlackFrontend(ctx, slack_settings(settings, fake, socket=False))
    await frontend.start()
    rng = random.Random(seed)
    acks: dict[str, list[float]] = defaultdict(list)
    answers: dict[str, list[float]] = defaultdict(list)
    worst_blocks = worst_section = messages = split = 0
    try:
        for n in range(20 + commands):  # the first 20 warm caches and connections; not measured
            kind, text = workload(rng, days)
            payload = command_payload(fake, text)
            before = len(fake.responses)
            t0 = time.perf_counter()
            status, _ = await post_command(frontend, payload)
            t_ack = time.perf_counter()
            assert status == 200
            await fake.wait_for(lambda before=before: len(fake.responses) > before)
            first = fake.responses[before]
            counted = PART.search(first["text"])  # a split answer's texts end "(1/3)", "(2/3)"...
            parts = int(counted.group(1)) if counted else 1
            await fake.wait_for(lambda before=before, parts=parts: len(fake.responses) >= before + parts)
            t_answer = time.perf_counter()
            if n < 20:
                continue
            acks[kind].append((t_ack - t0) * 1000)
            answers[kind].append((t_answer - t0) * 1000)
            for body in fake.responses[before:]:
                messages += 1
                worst_blocks = max(worst_blocks, len(body["blocks"]))
                worst_section = max([worst_section, *(len(t) for t in all_texts(body["blocks"]))])
            split += parts > 1
    finally:
        await frontend.close()
        await fake.close()

    every_ack = [t for values in acks.values() for t in values]
    every_answer = [t for values in answers.values() for t in values]
    print(f"commands: {len(every_ack)}, one at a time, signed HTTP to the app on 127.0.0.1")
    print("ack (POST -> 200):")
    print(line("all", every_ack))
    print("answer (POST -> last message at response_url):")
    print(line("all", every_answer))
    for kind in sorted(answers):
        print(line(kind, answers[kind]))
    print(
        f"messages: {messages} ({split} answers split); most blocks in one message: {worst_blocks} "
        f"(limit {MAX_BLOCKS}); longest text: {worst_section} chars (limit {MAX_SECTION_TEXT})"
    )
    ok = percentile(every_ack, 99) < 100 and percentile(every_answer, 99) < 250
    print(f"targets ack p99 < 100 ms and answer p99 < 250 ms: {'met' if ok else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--commands", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    asyncio.run(run(args.articles, args.commands, args.seed))


if __name__ == "__main__":
    main()
