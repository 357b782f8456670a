"""When review cards go out: each new machine draft, to each platform's review channel.

The job ticks every minute on the bot's scheduler (beside the digests and the feed polls); a
tick with nothing new is one query per review channel. What a card says is the core's
(`bot.core.review.sheet_answer`); how it looks, the front end's. Which drafts are due, and the
claim that keeps two processes from posting one card twice, are `bot.core.review_queue`'s. A
failed post gives its claim back and is tried again on a later tick; a post the platform refuses
for good (a missing channel, no permission) is logged with the reason an operator can act on.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from bot.core import review_queue
from bot.core.db import Store
from bot.core.review import Desk, ReviewError, sheet_answer
from bot.delivery import DeliveryError, ReviewDeliverer, review_card_key

log = logging.getLogger(__name__)

CARDS_PER_TICK = 5  # per channel: a burst of drafts reaches editors over a few minutes, not at once


class ReviewQueue:
    """Posts review cards for the deliverers that have a review channel."""

    def __init__(
        self,
        store: Store,
        summaries_dir: Path,
        deliverers: Mapping[str, Any],
        clock: Callable[[], dt.datetime],
    ) -> None:
        self.store = store
        self.desk = Desk(store, summaries_dir)
        self.clock = clock
        self.deliverers: dict[str, ReviewDeliverer] = {
            platform: d
            for platform, d in deliverers.items()
            if isinstance(d, ReviewDeliverer) and d.review_channel is not None
        }
        self._refused: set[tuple[str, str]] = set()  # (platform, reason) already logged

    def start(self, scheduler: Any) -> None:
        """Open the review channels and register the tick on the bot's APScheduler."""
        if not self.deliverers:
            return
        for platform, deliverer in self.deliverers.items():
            assert deliverer.review_channel is not None
            since = review_queue.open_channel(self.store, platform, deliverer.review_channel, self.clock())
            log.info(
                "review cards for drafts loaded since %s go to %s channel %s", since, platform, deliverer.review_channel
            )
        scheduler.add_job(
            self.tick,
            "interval",
            minutes=1.0,
            id="review-queue",
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
            next_run_time=self.clock(),
        )

    async def tick(self) -> int:
        """Post the cards that are due; returns how many were posted."""
        posted = 0
        for platform, deliverer in self.deliverers.items():
            channel = deliverer.review_channel
            if channel is None:
                continue
            due = await self.store.run(review_queue.due, self.store, platform, channel, self.clock(), CARDS_PER_TICK)
            for article_id in due:
                posted += await self._post(platform, deliverer, channel, article_id)
        return posted

    async def _post(self, platform: str, deliverer: ReviewDeliverer, channel: str, article_id: str) -> int:
        if not await self.store.run_write(review_queue.claim, self.store, platform, channel, article_id, self.clock()):
            return 0  # another process has it
        try:
            sheet = await self.store.run(self.desk.sheet, article_id)
            answer = await self.store.run(
                lambda: sheet_answer(sheet, self.desk, page=0, per_page=deliverer.review_page_size)
            )
            message_id = await deliverer.post_review_card(
                channel, answer, review_card_key(platform, channel, article_id)
            )
        except ReviewError as exc:  # the file is being edited or went away: a later tick sees it again
            log.warning("no review card for %s: %s", article_id, exc)
            await self.store.run_write(review_queue.release, self.store, platform, channel, article_id)
            return 0
        except DeliveryError as exc:
            await self.store.run_write(review_queue.release, self.store, platform, channel, article_id)
            if (platform, exc.reason) not in self._refused:
                self._refused.add((platform, exc.reason))
                log.error("review card for %s not posted to %s %s: %s", article_id, platform, channel, exc.describe())
            return 0
        await self.store.run_write(
            review_queue.posted, self.store, platform, channel, article_id, message_id, self.clock()
        )
        return 1
