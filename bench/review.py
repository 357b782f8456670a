"""Editors' decisions, measured: one accept or reject (digest file read by round trip, changed,
validated, written, loaded into the store) on real war articles of several sizes, and the list
of drafts waiting with many drafts stored.

    python -m bench.review [--decisions 40] [--pending 2000]

Prints p50 / p95 of a decision per article (its number of items), and the time of
`/review` (the pending list) with --pending drafts in the store, against 50.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench.timing import percentile
from bot.core.db import Store
from bot.core.digest_files import default_context, load_dir
from bot.core.gazetteer import load_gazetteer
from bot.core.models import ArticleMeta, ItemState
from bot.core.review import Desk, pending_answer
from bot.extract.draft import make_draft, write_draft

REPO = Path(__file__).resolve().parent.parent
TEXTS = next(
    (p for p in (REPO.parent / "shared/data/articles/text", Path("/work/shared/data/articles/text")) if p.is_dir()),
    None,
)
ARTICLES = (
    "01_reuters_2022-04-12_putin-says-peace-talks-with-ukraine-are-at-dead",
    "13_mercurynews-ap_2022-04-19_russia-ratchets-up-battle-for-control-of-eastern",
    "03_aljazeera_2022-04-21_russia-ukraine-latest-updates-un-chief-to-meet-p",
)
AT = dt.datetime(2022, 5, 1, 9, 0, tzinfo=dt.UTC)


def draft_into(folder: Path, name: str, article_id: str, published: dt.date) -> int:
    assert TEXTS is not None
    text = (TEXTS / f"{name}.txt").read_text("utf-8")
    meta = json.loads((TEXTS / f"{name}.json").read_text("utf-8"))
    article = ArticleMeta(
        article_id, str(meta.get("title") or name), "Bench Wire", published, "https://bench.example/a"
    )
    ctx = default_context(folder)
    result = make_draft(article, text, ctx.speakers, load_gazetteer())
    outcome = write_draft(result, folder, ctx)
    assert outcome.written, outcome.reason
    d = result.digest
    return len(d.key_points) + len(d.quotes) + len(d.claims) + len(d.contradictions)


def decisions(n: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-review-"))
    folder = work / "summaries"
    shutil.copytree(REPO / "summaries", folder)
    store = Store(work / "bench.db")
    sizes = {}
    for i, name in enumerate(ARTICLES):
        sizes[name] = draft_into(folder, name, f"2022-04-2{i}-bench-{i}", dt.date(2022, 4, 20 + i))
    assert load_dir(store, folder).ok
    desk = Desk(store, folder)
    print(f"one decision (read, change, validate, write, load), {n} per article:")
    for i, name in enumerate(ARTICLES):
        article_id = f"2022-04-2{i}-bench-{i}"
        items = [item_id for item_id, _section, _item in desk.sheet(article_id).items()]
        times = []
        for k in range(n):
            state = ItemState.ACCEPTED if k % 2 == 0 else ItemState.REJECTED
            started = time.perf_counter()
            desk.decide(article_id, [items[k % len(items)]], state, by="bench", at=AT)
            times.append((time.perf_counter() - started) * 1000)
        size = (folder / f"{article_id}.yaml").stat().st_size
        print(
            f"  {name[:40]:40}  {sizes[name]:4d} items, {size / 1000:6.1f} kB file:"
            f"  p50 {percentile(times, 50):7.1f} ms   p95 {percentile(times, 95):7.1f} ms"
        )
    store.close()
    shutil.rmtree(work)


def pending(count: int) -> None:
    """The pending list from the store alone: its time with `count` drafts against 50."""
    from bench import synthetic

    figures = {}
    for n in (50, count):
        work = Path(tempfile.mkdtemp(prefix="bench-pending-"))
        folder = work / "articles"
        drafts = (
            (aid, doc.replace("review: reviewed", "review: draft", 1), text)
            for aid, doc, text in synthetic.generate(n, seed=7)
        )
        names = synthetic.write_articles(folder, drafts)
        store = Store(work / "bench.db")
        report = load_dir(store, folder, only=names)
        assert report.ok, report.errors[:2]
        desk = Desk(store, folder)
        times = []
        for _ in range(20):
            started = time.perf_counter()
            answer = pending_answer(desk)
            times.append((time.perf_counter() - started) * 1000)
        figures[n] = percentile(times, 50)
        print(f"  /review with {n:6,} drafts waiting: {figures[n]:6.2f} ms (p50 of 20; lists {len(answer.articles)})")
        store.close()
        shutil.rmtree(work)
    print(f"  ratio {count:,} / 50: {figures[count] / figures[50]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--decisions", type=int, default=40)
    parser.add_argument("--pending", type=int, default=2000)
    args = parser.parse_args()
    if TEXTS is None:
        sys.exit("the shared war articles are not beside this checkout")
    decisions(args.decisions)
    print("the list of drafts waiting:")
    pending(args.pending)


if __name__ == "__main__":
    main()
