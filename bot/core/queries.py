"""Questions asked of the store, answered as plain typed data (bot.core.models).

status / quotes / digest / contradictions / sources. Every item carries its SourceRef
(publisher, title, date, url, review state), so a renderer can always show where a sentence
comes from. Queries read through indexes sorted by publication date and stop at a limit, so
their cost does not grow with the size of the store.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import OrderedDict
from dataclasses import dataclass

from bot.core.dates import stored_date
from bot.core.db import Store
from bot.core.gazetteer import Gazetteer, Match
from bot.core.models import (
    ArticleItem,
    BriefingAnswer,
    ClaimItem,
    ClaimType,
    ContradictionItem,
    ContradictionsAnswer,
    ItemState,
    KeyPointItem,
    NotFound,
    QuoteItem,
    QuoteKind,
    QuotesAnswer,
    RegionAnswer,
    RegionInfo,
    RegionLine,
    RegionsAnswer,
    RegionSummary,
    Review,
    SourceClaims,
    SourceRef,
    SourcesAnswer,
    SpeakersAnswer,
    SpeakerSummary,
    StatusAnswer,
    TimelineDay,
)
from bot.core.speakers import SpeakerRegistry


@dataclass(frozen=True, slots=True)
class Limits:
    """How much one answer may hold; renderers page or cut what is shown further."""

    claims: int = 120
    timeline_claims: int = 60
    claims_per_source: int = 8
    quotes: int = 50
    contradictions: int = 25
    articles: int = 50
    digest_articles: int = 30
    digest_key_points: int = 15
    digest_quotes: int = 10


LIMITS = Limits()
ARTICLE_COLUMNS = "a.id AS a_id, a.publisher, a.title, a.published AS a_published, a.url, a.review, a.story_id"
_LISTING_COLS = f"{ARTICLE_COLUMNS}, a.author, a.key_point_count, a.quote_count, a.claim_count, a.pending"


def _shown_states(include_drafts: bool) -> tuple[str, ...]:
    """The review states an answer shows: never rejected; undecided (machine drafts) only when
    drafts are shown."""
    return ("accepted", "edited", "undecided") if include_drafts else ("accepted", "edited")


def shown_condition(include_drafts: bool, alias: str) -> str:
    """The `_shown_states` as a condition on the table of `alias`."""
    if include_drafts:
        return f" AND {alias}.state != 'rejected'"  # the same states, and the form the indexes serve
    return f" AND {alias}.state IN ('accepted', 'edited')"


class SourceCache:
    """The source of each row of one answer, made once per article (an answer's rows come from
    far fewer articles than it has rows)."""

    def __init__(self) -> None:
        self._made: dict[str, SourceRef] = {}

    def __call__(self, row: dict) -> SourceRef:
        made = self._made.get(row["a_id"])
        if made is None:
            made = self._made[row["a_id"]] = source_from_row(row)
        return made


def source_from_row(row: dict) -> SourceRef:
    return SourceRef(
        article_id=row["a_id"],
        publisher=row["publisher"],
        title=row["title"],
        published=dt.date.fromisoformat(row["a_published"]),
        url=row["url"] or "",
        review=Review(row["review"] or "reviewed"),
        story_id=row["story_id"],
    )


def _counts_by_key(store: Store, kind: str, include_drafts: bool) -> list[tuple[str, int]]:
    """(key, how many an answer could show) of every speaker or region with any, the most first,
    from the counts the store keeps."""
    states = _shown_states(include_drafts)
    rows = store.execute(
        f"SELECT key, sum(n) AS total FROM item_counts WHERE kind = ? AND state IN ({_marks(list(states))})"
        " GROUP BY key HAVING total > 0 ORDER BY total DESC, key",
        [kind, *states],
    ).fetchall()
    return [(str(key), int(n)) for key, n in rows]


def _shown_count(store: Store, kind: str, key: str, include_drafts: bool) -> int:
    """How many of a speaker's statements or a region's claims an answer could show (the states
    `_shown` keeps), from the counts the store keeps (`item_counts`): one row read, however many."""
    states = _shown_states(include_drafts)
    row = store.execute(
        f"SELECT coalesce(sum(n), 0) FROM item_counts WHERE kind = ? AND key = ? AND state IN ({_marks(list(states))})",
        [kind, key, *states],
    ).fetchone()
    return int(row[0])


def _asserter(row: dict, publisher: str, speakers: SpeakerRegistry) -> str:
    who = row["asserted_by"]
    return publisher if who == "article" else speakers.display_name(who)


# The item builders take the row's source already made: a briefing reads its articles once and
# its items' rows without joining them again.


def _claim_item(row: dict, source: SourceRef, speakers: SpeakerRegistry, asserted_by: str | None = None) -> ClaimItem:
    return ClaimItem(
        claim=ClaimType(row["claim"]),
        actor=row["actor"],
        asserted_by=asserted_by or _asserter(row, source.publisher, speakers),
        evidence=row["text"],
        source=source,
        date=stored_date(row["date"]),
        date_precision=row["date_precision"],
        via=row["via"],
        place=row["place"],
        state=ItemState(row["state"]),
        item_id=row["id"],
    )


def _contradiction_item(row: dict, source: SourceRef) -> ContradictionItem:
    return ContradictionItem(
        a=row["a_text"],
        b=row["b_text"],
        why=row["why"],
        source=source,
        regions=tuple(json.loads(row["regions"] or "[]")),
        confirmed=bool(row["confirmed"]),
        state=ItemState(row["state"]),
        item_id=row["id"],
    )


def quote_from_row(row: dict, source: SourceRef, speakers: SpeakerRegistry) -> QuoteItem:
    return QuoteItem(
        speaker=speakers.display_name(row["speaker_id"]),
        mention=row["mention"],
        role=row["role"] or "",
        kind=QuoteKind(row["kind"]),
        words=row["text"],
        source=source,
        via=row["via"],
        said_on=stored_date(row["said_on"]),
        cue=row["cue"],
        state=ItemState(row["state"]),
        item_id=row["id"],
        speaker_id=row["speaker_id"],
    )


# ------------------------------------------------------------------------------ status


def _unknown_region(gazetteer: Gazetteer, query: str) -> NotFound:
    """A place outside the covered countries is said to be so; anything else gets close names."""
    outside = gazetteer.outside(query)
    if outside is not None:
        return NotFound("outside", query, (outside,))
    return NotFound("region", query, tuple(gazetteer.suggest(query)))


def status(
    store: Store,
    gazetteer: Gazetteer,
    speakers: SpeakerRegistry,
    query: str,
    *,
    include_drafts: bool = True,
    limits: Limits = LIMITS,
) -> StatusAnswer | NotFound:
    """Who controls or claims a region, according to whom, newest first, with evidence."""
    match = _one_region(gazetteer, query)
    if isinstance(match, NotFound):
        return match
    rows = _claim_rows(store, match.region.code, include_drafts, limits.claims)
    return _status_of(store, speakers, match, rows, include_drafts, limits)


def _one_region(gazetteer: Gazetteer, query: str) -> Match | NotFound:
    """The one region a query names; NotFound for an unknown name, a place not covered, or a
    name that covers several regions (Donbas)."""
    match = gazetteer.resolve(query)
    if match is None:
        return _unknown_region(gazetteer, query)
    if len(match.regions) > 1:
        return NotFound("regions", query, tuple(r.name for r in match.regions))
    return match


def _claim_rows(store: Store, code: str, include_drafts: bool, limit: int) -> list[dict]:
    """A region's shown claims with their articles, newest first, then the most trusted."""
    return _trusted_first(
        store.rows(
            f"SELECT c.*, {ARTICLE_COLUMNS} FROM region_claims c JOIN articles a ON a.id = c.article_id"
            f" WHERE c.region = ?{shown_condition(include_drafts, 'c')}"
            " ORDER BY c.published DESC, c.article_id, c.seq LIMIT ?",
            [code, limit],
        )
    )


def _trusted_first(rows: list[dict]) -> list[dict]:
    """Rows read newest first (the order the indexes hold, so a query reads only what it shows),
    ordered within each day by trust: what a person accepted or edited, then machine drafts by
    their confidence, then as they stand in their articles. A curated item has no confidence:
    a person wrote it."""
    rows.sort(
        key=lambda r: (r["state"] == ItemState.UNDECIDED, -(r["confidence"] if r["confidence"] is not None else 1.0))
    )
    rows.sort(key=lambda r: r["published"], reverse=True)  # stable: the day first, trust within it
    return rows


def _status_of(
    store: Store, speakers: SpeakerRegistry, match: Match, rows: list[dict], include_drafts: bool, limits: Limits
) -> StatusAnswer:
    """The status answer of a region from its newest claims' rows, grouped by who asserts them."""
    region = match.region
    groups: OrderedDict[str, list[ClaimItem]] = OrderedDict()
    source_of = SourceCache()
    for row in rows:
        asserted_by = _asserter(row, row["publisher"], speakers)
        bucket = groups.setdefault(asserted_by, [])
        if len(bucket) < limits.claims_per_source:  # only the claims shown are built
            bucket.append(_claim_item(row, source_of(row), speakers, asserted_by))
    total = _shown_count(store, "region", region.code, include_drafts)
    matched_as = None if match.matched.casefold() == region.name.casefold() else match.matched
    return StatusAnswer(
        region=region.info(),
        by_source=tuple(SourceClaims(who, tuple(items)) for who, items in groups.items()),
        contradictions=_region_contradictions(store, region.code, include_drafts, limits.contradictions),
        matched_as=matched_as,
        total_claims=total,
    )


def _region_contradictions(store: Store, code: str, include_drafts: bool, limit: int) -> tuple[ContradictionItem, ...]:
    rows = store.rows(
        f"SELECT x.*, {ARTICLE_COLUMNS} FROM contradiction_regions r"
        " JOIN contradictions x ON x.id = r.contradiction_id JOIN articles a ON a.id = x.article_id"
        f" WHERE r.region = ?{shown_condition(include_drafts, 'x')}"
        " ORDER BY r.published DESC, r.contradiction_id LIMIT ?",
        [code, limit],
    )
    source_of = SourceCache()
    return tuple(_contradiction_item(r, source_of(r)) for r in rows)


def regions(store: Store, gazetteer: Gazetteer, *, include_drafts: bool = True) -> RegionsAnswer:
    """Every region with claims, the most recently claimed first: the regions come from the
    counts the store keeps, each one's newest claim from the head of its index (one seek each)."""
    out = []
    for code, n in _counts_by_key(store, "region", include_drafts):
        newest = store.one(
            f"SELECT c.published FROM region_claims c WHERE c.region = ?{shown_condition(include_drafts, 'c')}"
            " ORDER BY c.published DESC LIMIT 1",
            [code],
        )
        if newest and code in gazetteer:
            out.append(RegionSummary(gazetteer.region(code).info(), dt.date.fromisoformat(newest[0]), n))
    out.sort(key=lambda r: (-r.latest.toordinal(), r.region.name))
    return RegionsAnswer(tuple(out))


def region_page(
    store: Store,
    gazetteer: Gazetteer,
    speakers: SpeakerRegistry,
    query: str,
    *,
    include_drafts: bool = True,
    limits: Limits = LIMITS,
) -> RegionAnswer | NotFound:
    """A region's status and its claims day by day (publication days, newest first): both from
    one read of the region's newest claims."""
    match = _one_region(gazetteer, query)
    if isinstance(match, NotFound):
        return match
    rows = _claim_rows(store, match.region.code, include_drafts, max(limits.claims, limits.timeline_claims))
    answer = _status_of(store, speakers, match, rows[: limits.claims], include_drafts, limits)
    days: OrderedDict[str, list[ClaimItem]] = OrderedDict()
    source_of = SourceCache()
    for row in rows[: limits.timeline_claims]:
        days.setdefault(row["published"], []).append(_claim_item(row, source_of(row), speakers))
    timeline = tuple(TimelineDay(dt.date.fromisoformat(d), tuple(items)) for d, items in days.items())
    return RegionAnswer(answer, timeline)


def speakers_overview(
    store: Store, speakers: SpeakerRegistry, *, include_drafts: bool = True, limit: int = 200
) -> SpeakersAnswer:
    """Speakers with statements, the most quoted first (from the counts the store keeps)."""
    rows = _counts_by_key(store, "speaker", include_drafts)
    listed: list[SpeakerSummary] = []
    for speaker_id, n in rows:
        speaker = speakers.get(speaker_id)
        if speaker is not None and len(listed) < limit:
            listed.append(SpeakerSummary(speaker.info(), n))
    return SpeakersAnswer(tuple(listed), len(rows))


# ------------------------------------------------------------------------------ quotes


def quotes(
    store: Store,
    speakers: SpeakerRegistry,
    query: str,
    *,
    include_drafts: bool = True,
    limits: Limits = LIMITS,
) -> QuotesAnswer | NotFound:
    """Everything a speaker said, direct or reported, newest first."""
    match = speakers.resolve(query)
    if match is None:
        return NotFound("speaker", query, tuple(speakers.suggest(query)))
    speaker = match.speaker
    rows = _trusted_first(
        store.rows(
            f"SELECT q.*, {ARTICLE_COLUMNS} FROM quotes q JOIN articles a ON a.id = q.article_id"
            f" WHERE q.speaker_id = ?{shown_condition(include_drafts, 'q')}"
            " ORDER BY q.published DESC, q.article_id, q.seq LIMIT ?",
            [speaker.id, limits.quotes],
        )
    )
    total = _shown_count(store, "speaker", speaker.id, include_drafts)
    source_of = SourceCache()
    matched_as = None if match.matched.casefold() == speaker.name.casefold() else match.matched
    return QuotesAnswer(
        speaker=speaker.info(),
        quotes=tuple(quote_from_row(r, source_of(r), speakers) for r in rows),
        matched_as=matched_as,
        total=total,
    )


# ------------------------------------------------------------------------------ digest


def latest_day(store: Store) -> dt.date | None:
    row = store.execute("SELECT max(published) FROM articles").fetchone()
    return stored_date(row[0]) if row and row[0] else None


def has_day(store: Store, day: dt.date) -> bool:
    """Whether any article was published on `day`."""
    return store.one("SELECT 1 FROM articles WHERE published = ? LIMIT 1", [day.isoformat()]) is not None


def nearest_days(store: Store, day: dt.date, n: int = 3) -> list[dt.date]:
    """Days with articles closest to `day` (for 'nothing on that day' answers)."""
    iso = day.isoformat()
    before = store.execute(
        "SELECT DISTINCT published FROM articles WHERE published < ? ORDER BY published DESC LIMIT ?", [iso, n]
    ).fetchall()
    after = store.execute(
        "SELECT DISTINCT published FROM articles WHERE published > ? ORDER BY published LIMIT ?", [iso, n]
    ).fetchall()
    days = [dt.date.fromisoformat(r[0]) for r in before + after]
    return sorted(days, key=lambda d: abs((d - day).days))[:n]


def listing_sql(where: str) -> str:
    """The newest articles matching `where` (a condition on `a`), in the listing index's order."""
    return f"SELECT {_LISTING_COLS} FROM articles a WHERE {where} ORDER BY a.published DESC, a.id LIMIT ?"


# "What is new since the last digest" has two ways in. By load time its cost is the number of
# articles stored since; by publication (the listing index, each article's row read for its load
# time) it is how deep the newest new ones lie, the whole store when nothing is new (the daily
# digest of a quiet day took 4 s from the disk, 0.2 s cached, at 300,000 articles). The first
# way is taken while few are new; when many are, the newest of them lie near the listing's head.
LOADED_SINCE_EXACT = 1000
LOADED_SINCE_SQL = "SELECT id, published FROM articles INDEXED BY idx_articles_loaded_at WHERE loaded_at > ? LIMIT ?"
NEWEST_LOADED_SINCE_SQL = (
    "SELECT a.id FROM articles a INDEXED BY idx_articles_listing WHERE a.loaded_at > ?"
    " ORDER BY a.published DESC, a.id LIMIT ?"
)


def loaded_since(store: Store, since: dt.datetime, limit: int) -> list[str]:
    """The ids of the newest `limit` articles (by publication, then id) stored after `since`."""
    iso = since.isoformat()
    new = store.execute(LOADED_SINCE_SQL, [iso, LOADED_SINCE_EXACT]).fetchall()
    if len(new) < LOADED_SINCE_EXACT:  # all of them: the newest are picked here
        new.sort(key=lambda r: r[0])
        new.sort(key=lambda r: r[1], reverse=True)  # stable: newest first, by id within a day
        return [str(r[0]) for r in new[:limit]]
    return [str(r[0]) for r in store.execute(NEWEST_LOADED_SINCE_SQL, [iso, limit])]


CARRIERS_SQL = "SELECT story_id, id, publisher FROM articles WHERE story_id IN ({marks})"


def _listing_rows(store: Store, where: str, params: list[str], limit: int) -> list[dict]:
    """The newest `limit` articles matching `where`, listed newest first and by outlet within a day.

    Which articles make the cut is decided in the order of the listing index, (published, id),
    and only then are they ordered by outlet. That index holds every column a listing shows
    (the article row, text first, is not read), and an article's id is its date, outlet and
    title, the order a folder of digest files is loaded in: the items of a day's first articles
    then sit on neighbouring pages, so a day nobody asked for lately costs a few reads from the
    disk, not one per article and table (about 225 at a million articles, when the cut was
    taken by outlet)."""
    rows = store.rows(listing_sql(where), [*params, limit])
    rows.sort(key=lambda r: r["publisher"] or "")
    rows.sort(key=lambda r: r["a_published"], reverse=True)  # stable: the day first, the outlet within it
    return rows


def _article_items(store: Store, rows: list[dict]) -> list[ArticleItem]:
    """Listing items, with the other outlets that carried the same story (one query for all)."""
    stories = {row["story_id"] for row in rows if row["story_id"]}
    carriers: dict[str, list[tuple[str, str]]] = {}
    if stories:
        story_ids = list(stories)
        for story_id, article_id, publisher in store.execute(CARRIERS_SQL.format(marks=_marks(story_ids)), story_ids):
            carriers.setdefault(story_id, []).append((article_id, publisher))
    out = []
    for row in rows:
        others = tuple(dict.fromkeys(p for aid, p in carriers.get(row["story_id"], ()) if aid != row["a_id"]))[:10]
        out.append(
            ArticleItem(
                source=source_from_row(row),
                author=row["author"],
                key_point_count=row["key_point_count"] or 0,
                quote_count=row["quote_count"] or 0,
                claim_count=row["claim_count"] or 0,
                other_sources=others,
                pending=row["pending"] or 0,
            )
        )
    return out


def briefing(
    store: Store,
    gazetteer: Gazetteer,
    speakers: SpeakerRegistry,
    *,
    day: dt.date | None = None,
    since: dt.datetime | None = None,
    include_drafts: bool = True,
    limits: Limits = LIMITS,
) -> BriefingAnswer:
    """The briefing of one publication day (default: the latest), or of everything stored
    since a moment (the scheduler's "new since the last digest")."""
    if since is not None:
        ids = loaded_since(store, since, limits.digest_articles)
        where, params, day = f"a.id IN ({_marks(ids)})", ids, None
    else:
        day = day or latest_day(store)
        if day is None:
            return BriefingAnswer(day=None, articles=(), key_points=(), regions=(), quotes=(), contradictions=())
        where, params = "a.published = ?", [day.isoformat()]
    items = _article_items(store, _listing_rows(store, where, params, limits.digest_articles))
    with_content = [_has_shown_content(i, include_drafts) for i in items]
    shown = tuple(i for i, has in zip(items, with_content, strict=True) if has)
    # Not shown as content, but listed: ingested articles no one curated yet, and machine drafts
    # no person has decided anything of, where drafts are hidden.
    unreviewed = tuple(i for i, has in zip(items, with_content, strict=True) if not has)
    sources = {i.source.article_id: i.source for i in shown}
    if not sources:
        return BriefingAnswer(day, (), (), (), (), (), unreviewed)
    shown_items = shown_condition(include_drafts, "{}")  # formatted with each table's alias
    return BriefingAnswer(
        day=day,
        articles=shown,
        key_points=_briefing_key_points(store, sources, limits, shown_items),
        regions=_briefing_regions(store, gazetteer, speakers, sources, shown_items),
        quotes=_briefing_quotes(store, speakers, sources, limits, shown_items),
        contradictions=_briefing_contradictions(store, sources, limits, shown_items),
        unreviewed=unreviewed,
    )


def _has_shown_content(item: ArticleItem, include_drafts: bool) -> bool:
    review = item.source.review
    if review == Review.NONE:
        return False
    if include_drafts or review == Review.REVIEWED:
        return True
    return item.pending < item.key_point_count + item.quote_count + item.claim_count  # some item decided


def _marks(ids: list[str]) -> str:
    return ",".join("?" * len(ids))


Sources = dict[str, SourceRef]  # a briefing's articles, by id: its items' rows are not joined again


def _briefing_key_points(store: Store, sources: Sources, limits: Limits, shown: str) -> tuple[KeyPointItem, ...]:
    rows = store.rows(
        f"SELECT k.* FROM key_points k WHERE k.article_id IN ({_marks(list(sources))}){shown.format('k')}"
        " ORDER BY k.seq, k.published DESC LIMIT ?",
        [*sources, limits.digest_key_points],
    )
    return tuple(KeyPointItem(r["text"], sources[r["article_id"]], ItemState(r["state"]), r["id"]) for r in rows)


def _briefing_regions(
    store: Store, gazetteer: Gazetteer, speakers: SpeakerRegistry, sources: Sources, shown: str
) -> tuple[RegionLine, ...]:
    """The latest claim about each region in these articles (by name)."""
    # SQLite returns the row that holds max() for the bare columns.
    rows = store.rows(
        "SELECT c.*, max(c.published || c.article_id || printf('%06d', 999999 - c.seq)) FROM region_claims c"
        f" WHERE c.article_id IN ({_marks(list(sources))}){shown.format('c')} GROUP BY c.region",
        list(sources),
    )
    latest = {r["region"]: _claim_item(r, sources[r["article_id"]], speakers) for r in rows}
    return tuple(
        RegionLine(RegionInfo(code, gazetteer.name(code)), item)
        for code, item in sorted(latest.items(), key=lambda kv: gazetteer.name(kv[0]))
    )


def _briefing_quotes(
    store: Store, speakers: SpeakerRegistry, sources: Sources, limits: Limits, shown: str
) -> tuple[QuoteItem, ...]:
    """Direct quotes first, then mixed, then reported speech, newest first."""
    rows = store.rows(
        f"SELECT q.* FROM quotes q WHERE q.article_id IN ({_marks(list(sources))}){shown.format('q')}"
        " ORDER BY CASE q.kind WHEN 'direct' THEN 0 WHEN 'mixed' THEN 1 ELSE 2 END, q.published DESC, q.seq LIMIT ?",
        [*sources, limits.digest_quotes],
    )
    return tuple(quote_from_row(r, sources[r["article_id"]], speakers) for r in rows)


def _briefing_contradictions(
    store: Store, sources: Sources, limits: Limits, shown: str
) -> tuple[ContradictionItem, ...]:
    rows = store.rows(
        f"SELECT x.* FROM contradictions x WHERE x.article_id IN ({_marks(list(sources))}){shown.format('x')}"
        " ORDER BY x.published DESC, x.seq LIMIT ?",
        [*sources, limits.contradictions],
    )
    return tuple(_contradiction_item(r, sources[r["article_id"]]) for r in rows)


# ------------------------------------------------------------------------------ contradictions


def contradictions(
    store: Store,
    gazetteer: Gazetteer,
    region_query: str | None = None,
    *,
    include_drafts: bool = True,
    limits: Limits = LIMITS,
) -> ContradictionsAnswer | NotFound:
    if region_query:
        match = _one_region(gazetteer, region_query)
        if isinstance(match, NotFound):
            return match
        code = match.region.code
        return ContradictionsAnswer(
            match.region.info(), _region_contradictions(store, code, include_drafts, limits.contradictions)
        )
    rows = store.rows(
        f"SELECT x.*, {ARTICLE_COLUMNS} FROM contradictions x JOIN articles a ON a.id = x.article_id"
        f" WHERE 1{shown_condition(include_drafts, 'x')} ORDER BY x.published DESC, x.article_id, x.seq LIMIT ?",
        [limits.contradictions],
    )
    source_of = SourceCache()
    return ContradictionsAnswer(None, tuple(_contradiction_item(r, source_of(r)) for r in rows))


# ------------------------------------------------------------------------------ sources


def sources(store: Store, *, limits: Limits = LIMITS) -> SourcesAnswer:
    """Stored articles, newest first, with what was curated from each."""
    rows = _listing_rows(store, "1", [], limits.articles)
    total = store.execute("SELECT coalesce(sum(n), 0) FROM item_counts WHERE kind = 'articles'").fetchone()[0]
    return SourcesAnswer(articles=tuple(_article_items(store, rows)), total=total)
