"""Two `briefbot run` processes on one store, both Slack front ends of one workspace: every due
digest is posted once. The fake Slack takes a moment to answer each post, so both processes are
mid-way at once; the leases of the outbox decide which one posts each slot."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import sys
from collections import Counter
from pathlib import Path

from bot.core.db import Store
from bot.core.digest_files import load_dir
from bot.core.subscriptions import subscribe
from tests.frontends.slack.conftest import REPO, SIGNING_SECRET
from tests.frontends.slack.fake_slack import BOT_TOKEN, TEAM, Channel, FakeSlack

CHANNELS = [f"C0DESK{i:02d}" for i in range(12)]


async def _run(env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        env=env,
        cwd=REPO,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_two_runs_on_one_store_post_each_due_digest_once(fake_slack: FakeSlack, tmp_path: Path) -> None:
    summaries = tmp_path / "summaries"
    shutil.copytree(REPO / "summaries", summaries)
    db_path = tmp_path / "shared.db"
    store = Store(db_path)
    assert load_dir(store, summaries, workers=1).ok
    now = dt.datetime.now(dt.UTC)
    due = (now - dt.timedelta(minutes=2)).strftime("%H:%M")  # due two minutes ago: posted on start
    for channel in CHANNELS:
        fake_slack.channels[channel] = Channel(channel)
        subscribe(
            store,
            platform="slack",
            workspace=TEAM,
            channel=channel,
            local_time=due,
            timezone="UTC",
            created_by="U0ADMIN",
            now=now - dt.timedelta(days=1),
        )
    store.close()
    fake_slack.slow_methods["chat.postMessage"] = 4.0  # longer than a run takes to start
    env = {
        **os.environ,
        "HOME": str(tmp_path),
        "BRIEFBOT_DB": str(db_path),
        "BRIEFBOT_SUMMARIES": str(summaries),
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_PORT": "0",
        "SLACK_API_BASE": fake_slack.api_base,
        "BRIEFBOT_LOG_LEVEL": "INFO",
    }
    runs = [await _run(env), await _run(env)]
    logs: list[list[str]] = [[], []]

    async def read(n: int) -> None:
        assert runs[n].stderr is not None
        async for line in runs[n].stderr:
            logs[n].append(line.decode(errors="replace"))

    readers = [asyncio.create_task(read(n)) for n in range(2)]

    def settled() -> bool:
        posted = sum("posted the" in line for log in logs for line in log)
        return posted >= len(CHANNELS)

    try:
        for _ in range(600):  # every slot posted by one run or the other (reading their logs)
            if settled():
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(1.0)  # both runs are past their catch-up: nothing more is coming now
    finally:
        for run in runs:
            run.terminate()
        await asyncio.gather(*(run.wait() for run in runs))
        await asyncio.gather(*readers, return_exceptions=True)
    posts = Counter(str(c.args.get("channel")) for c in fake_slack.calls_of("chat.postMessage"))
    assert posts == Counter({channel: 1 for channel in CHANNELS}), "".join(logs[0][-20:] + logs[1][-20:])
    by_run = [sum("posted the" in line for line in log) for log in logs]
    assert sum(by_run) == len(CHANNELS)
    assert not any("Traceback" in line for log in logs for line in log)
    rows = Store(db_path).execute("SELECT status, COUNT(*) FROM digest_posts GROUP BY status").fetchall()
    assert dict(rows).get("posted") == len(CHANNELS)
