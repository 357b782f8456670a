"""Queries over the real store: seed content, ordering over many articles, drafts."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

import pytest

from bot.context import Context
from bot.core import queries
from bot.core.db import Store
from bot.core.digest_files import load_dir, read_digest, write_digest_files
from bot.core.gazetteer import load_gazetteer
from bot.core.models import ClaimType, NotFound, QuoteKind, Review
from bot.core.speakers import SpeakerRegistry
from tests.conftest import SEED_ID


def add_copy(ctx: Context, summaries: Path, new_id: str, published: dt.date, publisher: str, review: Review) -> None:
    seed = read_digest(summaries / f"{SEED_ID}.yaml")
    meta = replace(seed.meta, id=new_id, published=published, publisher=publisher)
    write_digest_files(replace(seed, meta=meta, review=review), summaries)
    report = ctx.load_summaries(summaries)
    assert report.ok, report.errors


def test_status_donetsk(ctx: Context) -> None:
    a = queries.status(ctx.store, ctx.gazetteer, ctx.speakers, "Donetsk")
    assert a.region.code == "UA-14" and a.region.name == "Donetsk"
    by = {g.asserted_by: g for g in a.by_source}
    assert {"Russia", "Foreign governments", "Dmitry Peskov", "Newsweek"} <= set(by)
    annexed = next(c for c in by["Russia"].claims if c.claim == ClaimType.ANNEXED)
    assert annexed.date == dt.date(2022, 9, 1) and annexed.via == "Reuters"
    assert "annexed from Ukraine in September" in annexed.evidence
    assert annexed.source.publisher == "Newsweek" and annexed.source.published == dt.date(2022, 12, 8)
    assert any(c.claim == ClaimType.REJECTS_CLAIM for c in by["Foreign governments"].claims)
    assert any("reoccupied by Ukrainian troops" in c.evidence for c in by["Dmitry Peskov"].claims)
    assert len(a.contradictions) >= 2
    # every evidence is a verbatim span of the stored text
    text = ctx.store["articles"].get(SEED_ID)["text"]
    assert all(c.evidence in text for g in a.by_source for c in g.claims)


def test_status_by_alias_and_town(ctx: Context) -> None:
    assert queries.status(ctx.store, ctx.gazetteer, ctx.speakers, "donetska oblast").region.code == "UA-14"
    izium = queries.status(ctx.store, ctx.gazetteer, ctx.speakers, "Izium")
    assert izium.region.code == "UA-63"
    assert any(c.place for g in izium.by_source for c in g.claims)


def test_unknown_region_and_group(ctx: Context) -> None:
    nf = queries.status(ctx.store, ctx.gazetteer, ctx.speakers, "Donetzkk Oblastt Republic")
    assert isinstance(nf, NotFound) and nf.what == "region"
    group = queries.status(ctx.store, ctx.gazetteer, ctx.speakers, "Donbas")
    assert isinstance(group, NotFound) and group.what == "regions" and set(group.suggestions) == {"Donetsk", "Luhansk"}


def test_quotes_peskov(ctx: Context) -> None:
    a = queries.quotes(ctx.store, ctx.speakers, "Peskov")
    assert a.speaker.name == "Dmitry Peskov" and a.total == len(a.quotes) == 6
    kinds = {q.kind for q in a.quotes}
    assert kinds == {QuoteKind.DIRECT, QuoteKind.INDIRECT, QuoteKind.MIXED}
    direct = next(q for q in a.quotes if q.kind == QuoteKind.DIRECT)
    assert direct.words.startswith("But there is nevertheless a lot of work ahead")
    assert {q.mention for q in a.quotes} >= {"he", "a Russian spokesperson"}
    nf = queries.quotes(ctx.store, ctx.speakers, "Boris Johnsonn")
    assert isinstance(nf, NotFound) and nf.what == "speaker"


def test_many_articles_newest_first_and_grouped(ctx: Context, summaries_dir: Path) -> None:
    add_copy(ctx, summaries_dir, "2023-01-05-copy", dt.date(2023, 1, 5), "Reuters", Review.REVIEWED)
    add_copy(ctx, summaries_dir, "2022-12-20-copy", dt.date(2022, 12, 20), "BBC", Review.REVIEWED)
    q = queries.quotes(ctx.store, ctx.speakers, "Peskov")
    dates = [x.source.published for x in q.quotes]
    assert dates == sorted(dates, reverse=True) and dates[0] == dt.date(2023, 1, 5) and q.total == 18
    s = queries.status(ctx.store, ctx.gazetteer, ctx.speakers, "Kherson")
    newsweek_like = {g.asserted_by for g in s.by_source}
    assert {"Reuters", "BBC", "Newsweek"} <= newsweek_like  # the outlet itself, per outlet
    for g in s.by_source:
        ds = [c.source.published for c in g.claims]
        assert ds == sorted(ds, reverse=True)
    d = queries.briefing(ctx.store, ctx.gazetteer, ctx.speakers)
    assert d.day == dt.date(2023, 1, 5) and [a.source.publisher for a in d.articles] == ["Reuters"]
    d2 = queries.briefing(ctx.store, ctx.gazetteer, ctx.speakers, day=dt.date(2022, 12, 8))
    assert d2.articles[0].source.publisher == "Newsweek"
    src = queries.sources(ctx.store)
    assert src.total == 3 and next(a.source.published for a in src.articles) == dt.date(2023, 1, 5)


def test_drafts_are_marked_and_can_be_hidden(ctx: Context, summaries_dir: Path) -> None:
    add_copy(ctx, summaries_dir, "2023-02-01-draft", dt.date(2023, 2, 1), "Draftpost", Review.DRAFT)
    shown = queries.quotes(ctx.store, ctx.speakers, "Peskov")
    assert shown.quotes[0].source.review == Review.DRAFT
    hidden = queries.quotes(ctx.store, ctx.speakers, "Peskov", include_drafts=False)
    assert all(q.source.review == Review.REVIEWED for q in hidden.quotes)


def test_digest_contents(ctx: Context) -> None:
    d = queries.briefing(ctx.store, ctx.gazetteer, ctx.speakers)
    assert d.day == dt.date(2022, 12, 8)
    assert d.key_points and d.key_points[0].text.startswith("The Kremlin is done seizing territory")
    assert {r.region.name for r in d.regions} >= {"Donetsk", "Luhansk", "Kherson", "Zaporizhzhia", "Kharkiv", "Kyiv"}
    assert d.quotes[0].kind == QuoteKind.DIRECT  # notable: direct quotes first
    assert len(d.contradictions) == 4


def test_digest_since(ctx: Context) -> None:
    later = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    empty = queries.briefing(ctx.store, ctx.gazetteer, ctx.speakers, since=later)
    assert empty.articles == ()
    everything = queries.briefing(ctx.store, ctx.gazetteer, ctx.speakers, since=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    assert len(everything.articles) == 1


def test_contradictions_filter(ctx: Context) -> None:
    all_ = queries.contradictions(ctx.store, ctx.gazetteer)
    assert len(all_.items) == 4 and all_.region is None
    kherson = queries.contradictions(ctx.store, ctx.gazetteer, "Kherson")
    assert kherson.region.code == "UA-65"
    assert any("withdrew its forces from Kherson" in x.a for x in kherson.items)
    kyiv = queries.contradictions(ctx.store, ctx.gazetteer, "Kyiv")
    assert kyiv.items == ()


def test_within_a_day_reviewed_first_then_by_confidence(ctx: Context, summaries_dir: Path) -> None:
    """Newest first; within one day what a person accepted, then drafts by confidence (not by
    file order): three copies of the seed on one day, the least trusted first by id."""
    seed = read_digest(summaries_dir / f"{SEED_ID}.yaml")
    day = dt.date(2023, 1, 5)
    copies = {
        "2023-01-05-a": (Review.DRAFT, 0.55),
        "2023-01-05-b": (Review.DRAFT, 0.9),
        "2023-01-05-c": (Review.REVIEWED, None),
    }
    for new_id, (review, confidence) in copies.items():
        meta = replace(seed.meta, id=new_id, published=day, publisher=new_id[-1].upper())
        quotes = tuple(replace(q, confidence=confidence) for q in seed.quotes)
        claims = tuple(replace(c, confidence=confidence) for c in seed.claims)
        write_digest_files(replace(seed, meta=meta, review=review, quotes=quotes, claims=claims), summaries_dir)
    assert ctx.load_summaries(summaries_dir).ok
    quotes = queries.quotes(ctx.store, ctx.speakers, "Peskov").quotes
    on_day = [q.source.article_id for q in quotes if q.source.published == day]
    assert on_day == ["2023-01-05-c"] * 6 + ["2023-01-05-b"] * 6 + ["2023-01-05-a"] * 6
    assert quotes[-1].source.published == dt.date(2022, 12, 8)  # the older day still after
    status = queries.status(ctx.store, ctx.gazetteer, ctx.speakers, "Kherson")
    for group in status.by_source:
        ids = [c.source.article_id for c in group.claims if c.source.published == day]
        assert ids == sorted(ids, key=lambda i: "cba".index(i[-1])), group.asserted_by


def test_a_busy_day_lists_its_first_articles_by_id_then_by_outlet(ctx: Context, summaries_dir: Path) -> None:
    """More articles on a day than a digest holds: the cut follows the listing index (published,
    id), the order a folder loads them in; what is shown is ordered by outlet."""
    day = dt.date(2023, 3, 1)
    outlets = {"2023-03-01-a": "Zeit", "2023-03-01-b": "BBC", "2023-03-01-c": "Meduza", "2023-03-01-d": "AP"}
    for new_id, publisher in outlets.items():
        add_copy(ctx, summaries_dir, new_id, day, publisher, Review.REVIEWED)
    limits = replace(queries.LIMITS, digest_articles=3, articles=3)
    d = queries.briefing(ctx.store, ctx.gazetteer, ctx.speakers, day=day, limits=limits)
    assert [a.source.publisher for a in d.articles] == ["BBC", "Meduza", "Zeit"]  # d, the 4th id, is cut
    src = queries.sources(ctx.store, limits=limits)
    assert [a.source.article_id for a in src.articles] == ["2023-03-01-b", "2023-03-01-c", "2023-03-01-a"]


def test_listings_read_only_their_index(ctx: Context) -> None:
    """A listing reads no article row (their text comes first, on overflow pages for a long
    article), and a day's listing needs no sort: every column it shows is in the listing index;
    so is the outlet of the other articles carrying a story."""
    for where, params in (("a.published = ?", ["2022-12-08", 5]), ("1", [5])):
        plan = " ".join(
            str(r[-1]) for r in ctx.store.execute(f"EXPLAIN QUERY PLAN {queries.listing_sql(where)}", params)
        )
        assert "USING COVERING INDEX idx_articles_listing" in plan and "TEMP B-TREE" not in plan, plan
    sql = queries.CARRIERS_SQL.format(marks="?, ?")
    plan = " ".join(str(r[-1]) for r in ctx.store.execute(f"EXPLAIN QUERY PLAN {sql}", ["x", "y"]))
    assert "USING COVERING INDEX idx_articles_story_id" in plan, plan


def _loaded_in_two_batches(tmp_path: Path) -> tuple[Store, dt.datetime]:
    """60 synthetic articles stored on one day, then 25 more the next: (store, between them)."""
    from bench.synthetic import generate, write_articles

    first, second = tmp_path / "first", tmp_path / "second"
    articles = list(generate(85, seed=3))
    write_articles(first, articles[:60])
    write_articles(second, articles[60:])
    store = Store(tmp_path / "since.db")
    between = dt.datetime(2026, 12, 2, tzinfo=dt.UTC)
    assert load_dir(store, first, now=between - dt.timedelta(days=1), workers=1).ok
    assert load_dir(
        store, second, now=between + dt.timedelta(hours=1), only=[f"{a[0]}.yaml" for a in articles[60:]], workers=1
    ).ok
    return store, between


def test_new_since_is_the_newest_stored_since_either_way(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The scheduler's "new since the last digest": by load time while few are new, from the head
    of the listing when many are; the same articles both ways."""
    store, between = _loaded_in_two_batches(tmp_path)
    new = store.rows("SELECT id, published FROM articles WHERE loaded_at > ?", [between.isoformat()])
    expected = [
        r["id"] for r in sorted(new, key=lambda r: (-dt.date.fromisoformat(r["published"]).toordinal(), r["id"]))
    ]
    assert len(expected) == 25
    assert queries.loaded_since(store, between, 10) == expected[:10]
    monkeypatch.setattr(queries, "LOADED_SINCE_EXACT", 5)  # "many are new": the listing's way
    assert queries.loaded_since(store, between, 10) == expected[:10]


def test_a_quiet_day_does_not_walk_the_store(tmp_path: Path) -> None:
    """Nothing new since the last digest: answered from the index of load times, not by reading
    every article (counted in SQLite's virtual machine steps, not in time)."""
    store, _ = _loaded_in_two_batches(tmp_path)
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0

    store.conn.set_progress_handler(count, 10)
    later = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    assert queries.briefing(store, load_gazetteer(), SpeakerRegistry([]), since=later).articles == ()
    store.conn.set_progress_handler(None, 0)
    assert steps < 10, steps  # one; reading the 85 articles took 35 (every 10 steps)
