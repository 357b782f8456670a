"""Benchmark: 1,000 subscriptions due at one minute, posted through discord.py to a fake Discord.

The fake REST API (the tests' `FakeDiscord`, tests/frontends/discord/fake_discord.py) runs in
its own process on 127.0.0.1 and enforces Discord's global limit of 50 requests in any one
second (429 with `retry_after` beyond it); it validates every request against Discord's OpenAPI
description, the message limits and the no-ping rule. The bot side is the real thing: the
store, the scheduler (APScheduler cron jobs, outbox claims), the core's digest query, the
Discord front end's `post_digest` (its embed renderer, discord.py's message create with `nonce`
+ `enforce_nonce`), the deliverer's typed errors and the pacing of message creations.

Prints the time from the slot to the last post, the 429s met, and digests and messages per
channel (one digest each and no request Discord would refuse, or the exit status is 1). The
floor is messages / 50 per second
(20 s for 1,000 one-message digests); the target is within 1.25x of it.

    python -m bench.digests                 # travels (time-machine, ticking) to just before a minute
    python -m bench.digests --real-clock    # waits for the next real minute instead
    python -m bench.digests --content full  # the whole seed digest: 3 messages each
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import dataclasses
import datetime as dt
import logging
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import time_machine

from bot.context import Context, open_context
from bot.core.db import Store
from bot.core.models import Answer, BriefingAnswer
from bot.core.subscriptions import Subscription, subscribe
from bot.frontends.discord.client import DiscordFrontend
from bot.frontends.discord.pacing import DISCORD_BURST, DISCORD_REQUESTS_PER_SECOND, DiscordPacer
from bot.schedule.scheduler import Compose, DigestScheduler, compose_from_context
from bot.settings import REPO_ROOT, Secret, Settings
from tests.frontends.discord.fake_discord import GLOBAL_LIMIT_PER_SECOND

ZONE = "Europe/Kyiv"


def start_fake_discord(limit: int) -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.frontends.discord.fake_discord", "--port", "0", "--limit", str(limit)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("PORT "):
        proc.kill()
        raise SystemExit(f"the fake Discord API did not start: {line!r}")
    return proc, int(line.split()[1])


async def fetch_stats(port: int) -> dict[str, Any]:
    async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}/__stats") as resp:
        return await resp.json()


def one_message(compose: Compose) -> Compose:
    """The real digest, cut to its first item of each kind so that it is one Discord message:
    the bench's floor (subscriptions / 50 s) counts one request per digest."""

    def short(db: Store, sub: Subscription, since: dt.datetime | None) -> Answer:
        answer = compose(db, sub, since)
        if not isinstance(answer, BriefingAnswer):
            return answer
        return dataclasses.replace(
            answer,
            articles=answer.articles[:1],
            key_points=answer.key_points[:1],
            regions=answer.regions[:1],
            quotes=answer.quotes[:1],
            contradictions=answer.contradictions[:1],
            unreviewed=answer.unreviewed[:1],
        )

    return short


async def discord_frontend(ctx: Context, base: str, pacer: DiscordPacer) -> DiscordFrontend:
    """The Discord front end logged in to the fake (REST only), its message creations paced."""
    settings = ctx.settings.with_(discord_token=Secret("bench-token"), discord_api_base=base)
    frontend = DiscordFrontend(ctx, settings, sync_commands=False, pacer=pacer)
    await frontend.start(connect=False)  # REST login only; digests need no gateway
    return frontend


def next_minute(after: dt.datetime) -> dt.datetime:
    return (after + dt.timedelta(minutes=1)).replace(second=0, microsecond=0)


async def run(args: argparse.Namespace, port: int, slot: dt.datetime, work: Path) -> int:
    settings = Settings(db_path=work / "bench.db", summaries_dir=REPO_ROOT / "summaries")
    ctx = open_context(settings)  # the curated seed digest is the content of every post
    local = slot.astimezone(ZoneInfo(ZONE))
    hhmm = local.strftime("%H:%M")
    now = dt.datetime.now(dt.UTC)
    for i in range(args.subscriptions):
        subscribe(
            ctx.store,
            platform="discord",
            workspace="1",
            channel=str(100_000 + i),
            local_time=hhmm,
            timezone=ZONE,
            created_by="bench",
            now=now,
        )

    base = f"http://127.0.0.1:{port}/api/v10"
    pacer = DiscordPacer(requests_per_second=args.rate, burst=args.burst)
    frontend = await discord_frontend(ctx, base, pacer)
    deliverer = frontend  # the front end is the scheduler's deliverer for Discord
    print("posting through the Discord front end (DiscordFrontend.post_digest)", flush=True)
    compose = compose_from_context(ctx)
    if args.content == "short":
        compose = one_message(compose)
    scheduler = DigestScheduler.from_context(ctx, {"discord": deliverer}, compose=compose)
    await scheduler.start()
    print(
        f"{args.subscriptions} subscriptions at {hhmm} {ZONE}; slot {slot.isoformat()};"
        f" waiting {max(0.0, (slot - dt.datetime.now(dt.UTC)).total_seconds()):.1f} s",
        flush=True,
    )

    deadline = slot + dt.timedelta(seconds=args.timeout)
    final = 0
    while dt.datetime.now(dt.UTC) < deadline:
        await asyncio.sleep(0.25)
        final = ctx.store.execute(
            "SELECT COUNT(*) FROM digest_posts WHERE status IN ('posted','failed','uncertain','missed','quiet')"
        ).fetchone()[0]
        if final >= args.subscriptions:
            break
    scheduler.shutdown()
    await frontend.close()

    statuses = collections.Counter(
        dict(ctx.store.execute("SELECT status, COUNT(*) FROM digest_posts GROUP BY status").fetchall())
    )
    first, last = ctx.store.execute(
        "SELECT MIN(finished_at), MAX(finished_at) FROM digest_posts WHERE status='posted'"
    ).fetchone()
    stats = await fetch_stats(port)
    messages = stats["posts_per_channel"]
    expected = [str(100_000 + i) for i in range(args.subscriptions)]
    message_counts = collections.Counter(messages.get(c, 0) for c in expected)
    digests = dict(
        ctx.store.execute(
            "SELECT channel, COUNT(*) FROM digest_posts WHERE status='posted' GROUP BY channel"
        ).fetchall()
    )
    digest_counts = collections.Counter(digests.get(c, 0) for c in expected)
    sent = sum(messages.values())
    floor = max(sent, args.subscriptions) / GLOBAL_LIMIT_PER_SECOND  # every message is one request
    elapsed = (dt.datetime.fromisoformat(last) - slot).total_seconds() if last else float("nan")
    first_s = (dt.datetime.fromisoformat(first) - slot).total_seconds() if first else float("nan")

    print(f"slot -> first post:       {first_s:7.2f} s")
    print(
        f"slot -> last post:        {elapsed:7.2f} s   (floor {floor:.1f} s, target <= {1.25 * floor:.1f} s;"
        f" {elapsed / floor:.3f}x floor)"
    )
    print(f"429s met:                 {stats['rate_limited']}")
    if stats["rate_limited_at"] and stats["first_post"]:
        at = ", ".join(f"{t - stats['first_post']:.2f}" for t in stats["rate_limited_at"][:20])
        print(f"  at (s after the first post): {at}")
    print(f"requests to the fake API: {stats['requests']} (login, {sent} messages, 429-refused tries)")
    print(f"digests per channel:      {dict(sorted(digest_counts.items()))}  (digests -> channels)")
    print(f"messages per channel:     {dict(sorted(message_counts.items()))}  (messages -> channels)")
    print(f"outbox statuses:          {dict(statuses)}")
    print(f"requests Discord would refuse (OpenAPI, limits, pings): {len(stats['violations'])}")
    for problem in stats["violations"][:5]:
        print("  ", problem)
    pages = {n for n in message_counts if n}
    ok = (
        digest_counts == {1: args.subscriptions}
        and len(pages) == 1
        and 0 not in message_counts
        and not stats["violations"]
    )
    print(
        "result:                   "
        + (f"OK: every channel got exactly 1 digest ({pages.pop()} message(s) each)" if ok else "FAIL")
    )
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description="1,000 digests due at one minute through discord.py")
    parser.add_argument("--subscriptions", type=int, default=1000)
    parser.add_argument(
        "--rate",
        type=float,
        default=DISCORD_REQUESTS_PER_SECOND,
        help="client-side pacing, requests per second (default %(default)s)",
    )
    parser.add_argument("--burst", type=int, default=DISCORD_BURST, help="client-side burst (default %(default)s)")
    parser.add_argument("--limit", type=int, default=GLOBAL_LIMIT_PER_SECOND, help="the fake's global limit")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds after the slot to give up")
    parser.add_argument(
        "--content",
        choices=["short", "full"],
        default="short",
        help="short: the seed digest cut to one message (default); full: all of it (pages)",
    )
    parser.add_argument("--real-clock", action="store_true", help="wait for the next real minute")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("discord.http").setLevel(logging.ERROR)  # one warning per 429 otherwise

    proc, port = start_fake_discord(args.limit)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            now = dt.datetime.now(dt.UTC)
            if args.real_clock:
                slot = next_minute(now + dt.timedelta(seconds=5))
                return asyncio.run(run(args, port, slot, Path(tmp)))
            slot = next_minute(now)
            # A ticking time travel: the clock runs at real speed, starting 3 s before the slot.
            with time_machine.travel(slot - dt.timedelta(seconds=3), tick=True):
                return asyncio.run(run(args, port, slot, Path(tmp)))
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)


if __name__ == "__main__":
    raise SystemExit(main())
