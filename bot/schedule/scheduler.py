"""Daily digests on schedule: one APScheduler cron job per active subscription, in its own zone.

`DigestScheduler` runs an APScheduler 3 `AsyncIOScheduler` inside the bot's event loop. Jobs
are rebuilt from the `subscriptions` table at start and re-synchronised as soon as the core
reports a subscribe / unsubscribe (and once a minute, for changes made by another process).

Every firing goes through the outbox (`outbox.py`): the (channel, local date) slot is claimed
in SQLite before sending, so whatever fires twice -- a DST fall-back repeating the local time,
two subscriptions of one channel, a restart after the slot, a retry -- posts at most once.

DST, as APScheduler 3 fires a daily `CronTrigger` and as the tests pin down:
- clocks back (e.g. 03:30 Europe/Kyiv on 2026-10-25 happens twice): the trigger fires at both
  03:30s; the second finds the day's slot claimed and posts nothing.
- clocks forward (03:30 does not exist on 2026-03-29 in Kyiv): the trigger fires at 04:30 local
  (the same instant 03:30 would have been on the old offset) and the digest is posted then,
  once, counted for that day.

After downtime, `start()` looks at each subscription's most recent slot: if it was not posted
and is at most `grace` old, it is posted now; older, it is recorded as missed with a log line.
Failures are retried with backoff as one-off jobs (never by sleeping in a job, so other
channels never wait); when the retries are spent the subscription is marked failing with the
reason, which `/subscriptions` shows to the channel's managers. Where the platform deduplicates
a resend only for a while (Discord's nonce: a few minutes), no resend is made after that
window: the slot ends failed (or uncertain, after a crash mid-send) rather than post twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import uuid
from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from bot.core import queries
from bot.core import subscriptions as subs_core
from bot.core.db import Store
from bot.core.models import Answer, BriefingAnswer, NotFound, Notice
from bot.core.subscriptions import Subscription
from bot.delivery import Deliverer, DeliveryError, NetworkError, RateLimited, idempotency_key
from bot.schedule import outbox
from bot.settings import Settings

if TYPE_CHECKING:
    from bot.context import Context

log = logging.getLogger("bot.schedule")

UTC = dt.UTC
Clock = Callable[[], dt.datetime]
Compose = Callable[[Store, Subscription, "dt.datetime | None"], Answer]

# Waits before the 2nd, 3rd... attempt of a failed post; one more failure marks it failing.
DEFAULT_RETRY_DELAYS: tuple[float, ...] = (30.0, 120.0, 600.0, 1800.0)
QUIET_NOTICE = "Nothing new since the last digest."
SEND_DEADLINE_S = 30.0  # one call of a platform; the slot's lease (outbox.LEASE) outlasts it


def compose_from_context(ctx: Context) -> Compose:
    """What is new for a channel since its last digest, from the core's digest query."""

    def compose(store: Store, sub: Subscription, since: dt.datetime | None) -> Answer:
        return queries.briefing(
            store, ctx.gazetteer, ctx.speakers, since=since, include_drafts=ctx.settings.show_drafts
        )

    return compose


def is_quiet(answer: Answer) -> bool:
    """True when the answer has nothing to show: no article, reviewed or not."""
    if isinstance(answer, NotFound):
        return True
    if isinstance(answer, BriefingAnswer):
        return not (
            answer.articles
            or answer.unreviewed
            or answer.key_points
            or answer.quotes
            or answer.regions
            or answer.contradictions
        )
    return False


def _parse_hhmm(local_time: str) -> dt.time:
    hours, minutes = local_time.split(":")
    return dt.time(int(hours), int(minutes))


def slot_instant(sub: Subscription, local_date: dt.date) -> dt.datetime:
    """The UTC instant of the subscription's slot on a local date.

    A wall time that does not exist (spring forward) is read on the offset before the change,
    which is the instant APScheduler fires at (03:30 -> 04:30 local); a wall time that happens
    twice (fall back) means its first occurrence.
    """
    local = dt.datetime.combine(local_date, _parse_hhmm(sub.local_time), tzinfo=ZoneInfo(sub.timezone))
    return local.astimezone(UTC)


def latest_slot(sub: Subscription, now: dt.datetime) -> tuple[dt.date, dt.datetime]:
    """The subscription's most recent slot at or before `now`: (local date, UTC instant)."""
    local_now = now.astimezone(ZoneInfo(sub.timezone))
    for back in range(3):
        day = local_now.date() - dt.timedelta(days=back)
        instant = slot_instant(sub, day)
        if instant <= now:
            return day, instant
    raise AssertionError("a daily slot always exists within the last three days")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(UTC)


class DigestScheduler:
    """The bot's digest scheduler; create it and call `await start()` inside the running loop."""

    def __init__(
        self,
        store: Store,
        deliverers: Mapping[str, Deliverer],
        *,
        grace: dt.timedelta = dt.timedelta(hours=6),
        quiet_day: str = "notice",
        compose: Compose,
        clock: Clock = _utcnow,
        retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
        resync_seconds: float | None = 60.0,
        max_concurrent_sends: int = 50,
    ) -> None:
        if quiet_day not in {"notice", "skip"}:
            raise ValueError("quiet_day must be 'notice' or 'skip'")
        if not dt.timedelta(0) <= grace < dt.timedelta(hours=24):
            raise ValueError("the grace window must be between 0 and 24 hours")
        self.store = store
        self.deliverers = dict(deliverers)
        self.grace = grace
        self.quiet_day = quiet_day
        self.compose = compose
        self.clock = clock
        self.retry_delays = tuple(retry_delays)
        self.resync_seconds = resync_seconds
        # Bounds the slots worked on at once: when 1,000 channels are due in one minute, each
        # does its claim just before its send instead of all claims first, which would hold
        # the event loop and then release the paced requests in one burst.
        self._sending = asyncio.Semaphore(max_concurrent_sends)
        self.run_id = uuid.uuid4().hex  # owner of the claims this run makes
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self._job_specs: dict[int, tuple[str, str]] = {}
        self._inflight: set[asyncio.Task[Any]] = set()
        self._content_cache: dict[tuple[str, str | None, str], Answer] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    def from_context(cls, ctx: Context, deliverers: Mapping[str, Deliverer], **kwargs: Any) -> DigestScheduler:
        """The scheduler of a running bot: its store, settings, clock and the core's digest query."""
        kwargs.setdefault("compose", compose_from_context(ctx))
        kwargs.setdefault("clock", ctx.clock)
        return cls.from_settings(ctx.settings, ctx.store, deliverers, **kwargs)

    @classmethod
    def from_settings(
        cls, settings: Settings, store: Store, deliverers: Mapping[str, Deliverer], **kwargs: Any
    ) -> DigestScheduler:
        hours = settings.digest_grace_hours
        if not 0 <= hours < 24:  # a window of a day or more would post yesterday's digest today
            log.warning("BRIEFBOT_DIGEST_GRACE_HOURS=%s is outside 0..24; using %s", hours, min(max(hours, 0), 23))
            hours = min(max(hours, 0.0), 23.0)
        return cls(
            store,
            deliverers,
            grace=dt.timedelta(hours=hours),
            quiet_day=settings.quiet_day,
            **kwargs,
        )

    # ---------------------------------------------------------------------------------------
    # Lifecycle

    async def start(self) -> None:
        """Build the jobs from the database, start firing them, and catch up on missed slots."""
        aps_log = logging.getLogger("apscheduler")
        if aps_log.level == logging.NOTSET:  # it logs every job added / run / done at INFO
            aps_log.setLevel(logging.WARNING)
        self._loop = asyncio.get_running_loop()
        self.scheduler.start()
        self.sync()
        subs_core.add_listener(self._subscriptions_changed)
        if self.resync_seconds:
            self.scheduler.add_job(
                self._resync_job,
                "interval",
                seconds=self.resync_seconds,
                id="digest-resync",
                replace_existing=True,
                coalesce=True,
                misfire_grace_time=None,
            )
        self._catch_up()

    def shutdown(self) -> None:
        subs_core.remove_listener(self._subscriptions_changed)
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    def wakeup(self) -> None:
        """Make the scheduler look at the clock now (tests move the clock, then call this)."""
        self.scheduler.wakeup()

    async def settle(self) -> None:
        """Wait until every firing started so far (and what it started) has finished."""
        for _ in range(100):
            for _ in range(3):  # let call_soon'd wakeups run and submitted jobs start
                await asyncio.sleep(0)
            if not self._inflight:
                return
            await asyncio.gather(*list(self._inflight), return_exceptions=True)
        raise RuntimeError("digest jobs kept starting new jobs")

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._track(task)

    def _track(self, task: asyncio.Task[Any]) -> None:
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)

    # ---------------------------------------------------------------------------------------
    # Jobs <-> subscriptions

    def sync(self) -> None:
        """Make the cron jobs match the active subscriptions in the database."""
        wanted = {s.id: s for s in subs_core.list_subscriptions(self.store, active_only=True)}
        for sub_id in list(self._job_specs):
            if sub_id not in wanted:
                self._remove_job(sub_id)
        for sub in wanted.values():
            if sub.platform not in self.deliverers:
                continue
            if self._job_specs.get(sub.id) != (sub.local_time, sub.timezone):
                try:
                    self._add_job(sub)
                except (ValueError, KeyError) as exc:  # a row written around subscribe()'s checks
                    self._unusable(sub, exc)

    def _unusable(self, sub: Subscription, exc: Exception) -> None:
        self._job_specs[sub.id] = (sub.local_time, sub.timezone)  # reported once, until the row changes
        reason = f"cannot schedule {sub.local_time!r} in {sub.timezone!r}: {exc}"[:200]
        log.error("subscription %s (%s:%s): %s", sub.id, sub.platform, sub.channel, reason)
        subs_core.note_result(self.store, sub.id, last_result=f"not scheduled: {reason}", failing_reason=reason)

    def _add_job(self, sub: Subscription) -> None:
        when = _parse_hhmm(sub.local_time)
        self.scheduler.add_job(
            self._fire,
            CronTrigger(hour=when.hour, minute=when.minute, timezone=ZoneInfo(sub.timezone)),
            args=[sub.id],
            id=f"digest-{sub.id}",
            name=f"digest {sub.platform}:{sub.channel} {sub.local_time} {sub.timezone}",
            replace_existing=True,
            coalesce=True,
            misfire_grace_time=max(1, int(self.grace.total_seconds())),
        )
        self._job_specs[sub.id] = (sub.local_time, sub.timezone)

    def _remove_job(self, sub_id: int) -> None:
        with contextlib.suppress(JobLookupError):
            self.scheduler.remove_job(f"digest-{sub_id}")
        self._job_specs.pop(sub_id, None)

    async def _resync_job(self) -> None:
        self.sync()  # changes made by another process (the CLI, a second front end)

    def _subscriptions_changed(self) -> None:
        """Called by the core after every subscribe / unsubscribe: apply it at once.

        A front end may subscribe from a worker thread; the jobs are then updated in the
        scheduler's own loop (and its own database connection), right after.
        """
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is not None and running is self._loop:
            self._sync_safely()
        elif self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._sync_safely)

    def _sync_safely(self) -> None:
        try:
            self.sync()
        except Exception:  # never let a scheduling problem fail the user's /subscribe
            log.exception("could not apply a subscription change; the next resync will")

    def next_run(self, sub_id: int) -> dt.datetime | None:
        job = self.scheduler.get_job(f"digest-{sub_id}")
        return job.next_run_time if job else None

    # ---------------------------------------------------------------------------------------
    # Start-up catch-up

    def _catch_up(self) -> None:
        now = self.clock()
        for row in outbox.close_stale(self.store, slot_before=now - self.grace, owner=self.run_id, now=now):
            closed = outbox.get(self.store, row.id)
            log.warning(
                "closed the %s digest for %s:%s left %s by an earlier run: %s",
                row.local_date,
                row.platform,
                row.channel,
                row.status,
                closed.error,
            )
            subs_core.note_result(
                self.store, row.subscription_id, last_result=f"{closed.status} {row.local_date}: {closed.error}"
            )
        for sub in subs_core.list_subscriptions(self.store, active_only=True):
            if sub.platform not in self.deliverers:
                log.warning("no deliverer for %s: subscription %s is not scheduled", sub.platform, sub.id)
                continue
            try:
                local_date, slot_at = latest_slot(sub, now)
            except (ValueError, KeyError):
                continue  # reported by sync() already
            created = subs_core.created_at(self.store, sub.id)
            if created is not None and slot_at < created:
                continue  # subscribed after that slot: its first digest is the next one
            slot_row = outbox.find(self.store, sub, local_date)
            if slot_row is not None and slot_row.status in outbox.FINAL:
                continue
            late = now - slot_at
            if late > self.grace:
                self._skip_missed(sub, local_date, slot_at, slot_row, late, now)
                continue
            self._spawn(self._run_slot(sub, local_date, slot_at))

    def _skip_missed(
        self,
        sub: Subscription,
        local_date: dt.date,
        slot_at: dt.datetime,
        row: outbox.PostRow | None,
        late: dt.timedelta,
        now: dt.datetime,
    ) -> None:
        hours = late.total_seconds() / 3600
        if row is not None and row.status == "sending":
            reason = f"an attempt {hours:.1f} h ago may have posted; not resent beyond the grace window"
            outbox.mark_final(self.store, row.id, "uncertain", now=now, error=reason)
        else:
            reason = f"bot was down at the slot, {hours:.1f} h ago (grace window {self.grace})"
            key = idempotency_key(sub.platform, sub.workspace, sub.channel, local_date)
            if not outbox.record_missed(
                self.store,
                sub,
                local_date=local_date,
                slot_at=slot_at,
                key=key,
                owner=self.run_id,
                now=now,
                reason=reason,
            ):
                return
        log.warning(
            "skipped the %s digest for %s:%s (subscription %s): %s",
            local_date,
            sub.platform,
            sub.channel,
            sub.id,
            reason,
        )
        subs_core.note_result(self.store, sub.id, last_result=f"skipped {local_date}: {reason}")

    # ---------------------------------------------------------------------------------------
    # Firing, sending, retrying

    async def _fire(self, sub_id: int) -> None:
        """The cron job: post the slot that is due now for one subscription."""
        task = asyncio.current_task()
        if task is not None:
            self._track(task)
        sub = subs_core.find(self.store, sub_id)
        if sub is None or not sub.active:
            self._remove_job(sub_id)
            return
        # The slot this firing is for: the latest at or before now. That also covers the late
        # firings: 04:30 for a 03:30 that did not exist, the second 03:30 of a fall-back night
        # (same date: the claim absorbs it), and a firing delayed by a busy or suspended machine.
        local_date, slot_at = latest_slot(sub, self.clock())
        await self._run_slot(sub, local_date, slot_at)

    async def _run_slot(self, sub: Subscription, local_date: dt.date, slot_at: dt.datetime) -> None:
        async with self._sending:
            await self._claim_and_send(sub, local_date, slot_at)

    async def _claim_and_send(self, sub: Subscription, local_date: dt.date, slot_at: dt.datetime) -> None:
        key = idempotency_key(sub.platform, sub.workspace, sub.channel, local_date)
        claimed = outbox.claim(
            self.store, sub, local_date=local_date, slot_at=slot_at, key=key, owner=self.run_id, now=self.clock()
        )
        row = claimed.row
        if claimed.held_elsewhere and row.lease_until is not None:
            # Another run holds it: look again once its lease expires (it may have died).
            self.scheduler.add_job(
                self._watch,
                "date",
                run_date=row.lease_until + dt.timedelta(seconds=1),
                args=[sub.id, local_date, slot_at],
                id=f"digest-watch-{row.id}",
                replace_existing=True,
                misfire_grace_time=None,
            )
            log.info(
                "digest for %s:%s on %s is held by another run until %s",
                sub.platform,
                sub.channel,
                local_date,
                row.lease_until.isoformat(timespec="seconds"),
            )
            return
        if not claimed.won:
            log.info(
                "digest for %s:%s on %s already %s (subscription %s); subscription %s posts nothing",
                sub.platform,
                sub.channel,
                local_date,
                row.status,
                row.subscription_id,
                sub.id,
            )
            return
        if claimed.resumed:
            log.info(
                "resuming the %s digest for %s:%s left %s by an earlier run",
                local_date,
                sub.platform,
                sub.channel,
                row.status,
            )
        await self._attempt(sub, row)

    async def _watch(self, sub_id: int, local_date: dt.date, slot_at: dt.datetime) -> None:
        """A slot another run held: if its lease expired unfinished, take it over."""
        task = asyncio.current_task()
        if task is not None:
            self._track(task)
        sub = subs_core.find(self.store, sub_id)
        if sub is not None and sub.active and sub.platform in self.deliverers:
            await self._run_slot(sub, local_date, slot_at)

    async def _retry(self, post_id: int, sub_id: int) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._track(task)
        async with self._sending:
            await self._resend(post_id, sub_id)

    async def _resend(self, post_id: int, sub_id: int) -> None:
        row = outbox.get(self.store, post_id)
        if row.status not in outbox.OPEN or row.owner != self.run_id:
            return
        sub = subs_core.find(self.store, sub_id)
        if sub is None or not sub.active:
            outbox.mark_final(self.store, post_id, "missed", now=self.clock(), error="unsubscribed before posting")
            return
        await self._attempt(sub, row)

    async def _attempt(self, sub: Subscription, row: outbox.PostRow) -> None:
        deliverer = self.deliverers[sub.platform]
        now = self.clock()
        deadline = self._resend_deadline(row, deliverer)
        if deadline is not None and now > deadline:
            # An earlier attempt may have reached the platform, which no longer deduplicates a resend.
            if row.status == "sending":  # the run that sent it stopped before hearing back
                status, reason = "uncertain", "an earlier attempt may have posted; too late for a safe resend"
            else:
                status, reason = "failed", f"{row.error or 'delivery failed'} (not resent later: it could post twice)"
            outbox.mark_final(self.store, row.id, status, now=now, error=reason)
            log.warning("not resending the %s digest for %s:%s: %s", row.local_date, sub.platform, sub.channel, reason)
            subs_core.note_result(
                self.store,
                sub.id,
                last_result=f"{status} {row.local_date}: {reason}",
                failing_reason=reason if status == "failed" else None,
            )
            return
        since = outbox.last_posted_at(self.store, sub) or (row.slot_at - dt.timedelta(days=1))
        try:
            answer = self._compose(sub, since, now)
        except Exception as exc:  # a bug in a query must not stop the other channels
            log.exception("could not compose the digest for %s:%s", sub.platform, sub.channel)
            await self._failed(sub, row, DeliveryError(f"could not compose the digest ({type(exc).__name__})"))
            return
        if is_quiet(answer):
            if self.quiet_day == "skip":
                outbox.mark_final(self.store, row.id, "quiet", now=now)
                subs_core.note_result(self.store, sub.id, last_result=f"quiet {row.local_date}: nothing posted")
                log.info("quiet day for %s:%s on %s: nothing posted", sub.platform, sub.channel, row.local_date)
                return
            answer = Notice(QUIET_NOTICE)
        if outbox.mark_sending(self.store, row.id, owner=self.run_id, since=since, now=now) is None:
            log.warning(
                "the %s digest for %s:%s was taken over by another run; not sending it here",
                row.local_date,
                sub.platform,
                sub.channel,
            )
            return
        # Let the loop run once before asking the deliverer: when many slots start together, their
        # database work is done before any of them takes a turn of a rate limiter, so turns are
        # not taken while the loop is too busy to send (which would release them in a burst).
        await asyncio.sleep(0)
        try:
            async with asyncio.timeout(SEND_DEADLINE_S):  # well inside the lease taken for the send
                message_id = await deliverer.post_digest(sub, answer, row.idempotency_key, slot_at=row.slot_at)
        except TimeoutError:
            await self._failed(sub, row, NetworkError(f"no answer within {SEND_DEADLINE_S:g} s"))
            return
        except DeliveryError as exc:
            await self._failed(sub, row, exc)
            return
        except Exception as exc:  # an unexpected client error: retried like a network error
            log.exception("unexpected error posting the digest to %s:%s", sub.platform, sub.channel)
            await self._failed(sub, row, DeliveryError(f"unexpected error ({type(exc).__name__})"))
            return
        done = self.clock()
        outbox.mark_posted(self.store, row.id, str(message_id), now=done)
        subs_core.note_result(
            self.store,
            sub.id,
            last_result=f"posted {row.local_date} (message {message_id})",
            posted_on=row.local_date,
        )
        log.info("posted the %s digest to %s:%s as %s", row.local_date, sub.platform, sub.channel, message_id)

    def _compose(self, sub: Subscription, since: dt.datetime | None, now: dt.datetime) -> Answer:
        # Many channels due at one minute usually ask the same question: answer it once a minute.
        minute = now.replace(second=0, microsecond=0).isoformat()
        key = (minute, since.isoformat() if since else None, sub.platform)
        if key not in self._content_cache:
            if len(self._content_cache) > 256:
                self._content_cache.clear()
            self._content_cache[key] = self.compose(self.store, sub, since)
        return self._content_cache[key]

    @staticmethod
    def _resend_deadline(row: outbox.PostRow, deliverer: Deliverer) -> dt.datetime | None:
        """The last moment a resend of this slot is still deduplicated by the platform, if any.

        None when nothing reached the platform yet or its deliverer deduplicates at any delay;
        a little before the end of the platform's window otherwise, for the request's own time.
        """
        window = deliverer.dedupe_window
        if window is None or row.first_attempted_at is None:
            return None
        return row.first_attempted_at + window - min(dt.timedelta(seconds=10), window / 10)

    async def _failed(self, sub: Subscription, row: outbox.PostRow, error: DeliveryError) -> None:
        now = self.clock()
        reason = error.describe()
        current = outbox.get(self.store, row.id)
        attempts = current.attempt + (current.status == "claimed")  # as mark_retry counts them
        delay: float | None = None
        if attempts <= len(self.retry_delays):
            delay = self.retry_delays[attempts - 1]
            if isinstance(error, RateLimited):
                delay = max(error.retry_after, 1.0)
            deadline = self._resend_deadline(outbox.get(self.store, row.id), self.deliverers[sub.platform])
            if deadline is not None:
                room = (deadline - now).total_seconds()
                delay = min(delay, room) if room >= 1.0 else None
                if delay is None:
                    reason += " (not retried later: a resend could post twice)"
        retry_at = now + dt.timedelta(seconds=delay or 0)
        outbox.mark_retry(self.store, row.id, reason, owner=self.run_id, now=now, retry_at=retry_at)
        if delay is not None:
            subs_core.note_result(
                self.store,
                sub.id,
                last_result=f"retrying {row.local_date}: {reason}",
                failing_reason=subs_core.failing_reason(self.store, sub.id),
            )
            log.warning(
                "digest to %s:%s failed (attempt %s: %s); retrying in %.0f s",
                sub.platform,
                sub.channel,
                attempts,
                reason,
                delay,
            )
            self.scheduler.add_job(
                self._retry,
                "date",
                run_date=retry_at,
                args=[row.id, sub.id],
                id=f"digest-retry-{row.id}",
                replace_existing=True,
                misfire_grace_time=None,
            )
            return
        outbox.mark_final(self.store, row.id, "failed", now=now, error=reason)
        subs_core.note_result(
            self.store, sub.id, last_result=f"failed {row.local_date}: {reason}", failing_reason=reason
        )
        log.error(
            "digest to %s:%s failed after %s attempts, subscription %s marked failing: %s",
            sub.platform,
            sub.channel,
            attempts,
            sub.id,
            reason,
        )
