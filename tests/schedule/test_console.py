"""Console mode end to end: /subscribe typed in the console, the real digest query and text
renderer, the console deliverer printing the digest at its local time (frozen clock)."""

from __future__ import annotations

import io

from bot.commands import CONSOLE, run_line
from bot.context import open_context
from bot.frontends.console import ConsoleDeliverer
from bot.render.text import render_text
from bot.schedule.scheduler import QUIET_NOTICE, DigestScheduler
from bot.settings import REPO_ROOT, Settings
from tests.schedule.fakes import advance, utc


async def test_console_subscription_prints_the_digest_at_its_time(tmp_path, travel, schedulers):
    start = utc(2026, 10, 5, 5, 50)  # 08:50 in Kyiv
    clock = travel(start)
    settings = Settings(db_path=tmp_path / "b.db", summaries_dir=REPO_ROOT / "summaries", quiet_day="notice")
    ctx = open_context(settings)  # loads the curated seed digest into a fresh store
    out = io.StringIO()
    sched = DigestScheduler.from_context(ctx, {"console": ConsoleDeliverer(stream=out)}, resync_seconds=None)
    schedulers.append(sched)
    await sched.start()

    confirmation = run_line(ctx, "/subscribe 09:00 Europe/Kyiv", CONSOLE)
    assert "09:00 (Europe/Kyiv)" in render_text(confirmation)
    await advance(clock, sched, utc(2026, 10, 5, 5, 59))
    assert out.getvalue() == ""

    await advance(clock, sched, utc(2026, 10, 5, 6, 1))
    first = out.getvalue()
    assert first.count("daily digest for #console (09:00 Europe/Kyiv)") == 1
    assert "Newsweek" in first  # the seed article, rendered by the console's renderer
    assert "Kremlin Says Russia Is Done Taking Territory From Ukraine" in first

    await advance(clock, sched, utc(2026, 10, 6, 6, 1))  # nothing loaded since: a quiet day
    second = out.getvalue()[len(first) :]
    assert second.count("daily digest for #console") == 1 and QUIET_NOTICE in second
    assert "Newsweek" not in second

    listing = render_text(run_line(ctx, "/subscriptions", CONSOLE))
    assert "This channel at 09:00 Europe/Kyiv: active, last posted 2026-10-06" in listing


async def test_runner_schedules_digests_and_feed_polls(tmp_path, monkeypatch) -> None:
    """`briefbot run` in console mode: one APScheduler holds the digest jobs and the feed poll."""
    import datetime as dt
    import io

    from bot import runner
    from bot.context import open_context
    from bot.core import subscriptions
    from bot.settings import load_settings
    from tests.conftest import SUMMARIES

    monkeypatch.chdir(tmp_path)
    ctx = open_context(load_settings(db_path=tmp_path / "r.db", summaries_dir=SUMMARIES))
    subscriptions.subscribe(
        ctx.store,
        platform="console",
        workspace="",
        channel="console",
        local_time="08:00",
        timezone="Europe/Kyiv",
        created_by="me",
        now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )
    seen: dict[str, list[str]] = {}

    async def console_that_inspects(context, **kwargs) -> None:
        sched = context_holder["scheduler"]
        seen["jobs"] = sorted(job.id for job in sched.scheduler.get_jobs())

    context_holder: dict = {}
    real_start = runner.start_schedules

    async def remember(scheduler, context) -> None:
        context_holder["scheduler"] = scheduler
        await real_start(scheduler, context)

    monkeypatch.setattr(runner, "start_schedules", remember)
    monkeypatch.setattr(runner, "run_console", console_that_inspects)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    await runner.run(ctx)
    assert "feed-poll" in seen["jobs"]
    assert any(job.startswith("digest-") for job in seen["jobs"])
