"""Typed records of the core: articles and their curated content, and the answers queries return.

Everything here is plain data (frozen dataclasses), free of any platform: renderers for the
console, Discord and Slack all read the same answers. `to_jsonable` turns any of them into JSON.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
from dataclasses import dataclass
from typing import Any


class QuoteKind(enum.StrEnum):
    """How a statement is attributed: the speaker's own words, reported speech, or both."""

    DIRECT = "direct"  # verbatim words in quotation marks
    INDIRECT = "indirect"  # reported speech: "Peskov said Russia has no plans..."
    MIXED = "mixed"  # reported speech carrying a quoted fragment


class ClaimType(enum.StrEnum):
    """The fixed vocabulary of region claims (documented in summaries/README.md)."""

    ANNEXED = "annexed"  # a state proclaimed the region part of its territory
    CLAIMS_SOVEREIGNTY = "claims_sovereignty"  # asserts the region is its territory
    REJECTS_CLAIM = "rejects_claim"  # rejects another party's claim as illegitimate
    CONTROLS = "controls"  # holds military or administrative control
    LACKS_CONTROL = "lacks_control"  # does not hold military control
    OCCUPIED = "occupied"  # held by the other side, in the asserter's words
    WITHDREW = "withdrew"  # forces pulled out
    RECAPTURED = "recaptured"  # forces took (back) ground
    CONTESTED = "contested"  # disputed or front-line territory
    FIGHTING = "fighting"  # ground combat reported
    SHELLING = "shelling"  # artillery, missile or drone strikes reported
    GOAL = "goal"  # a stated aim to take or "liberate" the region


CLAIM_DESCRIPTIONS: dict[ClaimType, str] = {
    ClaimType.ANNEXED: "annexed",
    ClaimType.CLAIMS_SOVEREIGNTY: "claims sovereignty over",
    ClaimType.REJECTS_CLAIM: "rejects the claim to",
    ClaimType.CONTROLS: "controls",
    ClaimType.LACKS_CONTROL: "does not control",
    ClaimType.OCCUPIED: "says is occupied",
    ClaimType.WITHDREW: "withdrew from",
    ClaimType.RECAPTURED: "recaptured",
    ClaimType.CONTESTED: "contests",
    ClaimType.FIGHTING: "is fighting in",
    ClaimType.SHELLING: "shelling in",
    ClaimType.GOAL: "aims to take",
}


class Review(enum.StrEnum):
    """Who stands behind an article's digest."""

    REVIEWED = "reviewed"  # curated or confirmed by a person
    DRAFT = "draft"  # machine-extracted, not reviewed by a person
    NONE = "none"  # ingested, no digest content yet ("new, not yet reviewed")


class ItemState(enum.StrEnum):
    """Where one curated item stands: a machine's draft until a person decides."""

    UNDECIDED = "undecided"  # a machine draft no person has looked at
    ACCEPTED = "accepted"  # a person stands behind it
    REJECTED = "rejected"  # a person said it is wrong: never shown
    EDITED = "edited"  # a person corrected it (claim type, speaker, words...) and stands behind it

    @property
    def reviewed(self) -> bool:
        return self in (ItemState.ACCEPTED, ItemState.EDITED)


@dataclass(frozen=True, slots=True)
class Decision:
    """One person's decision on one item, as recorded in its digest file."""

    state: ItemState
    by: str
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class ItemReview:
    """An item's review: its state, who decided it and when, what an edit changed, and every
    earlier decision (two editors acting at once both stay on record; the later one stands)."""

    state: ItemState = ItemState.ACCEPTED
    by: str | None = None
    at: dt.datetime | None = None
    was: tuple[tuple[str, str], ...] = ()  # an edit: (field, value before)
    history: tuple[Decision, ...] = ()


ACCEPTED = ItemReview()
UNDECIDED = ItemReview(ItemState.UNDECIDED)


@dataclass(frozen=True, slots=True)
class Span:
    """A verbatim stretch of an article's text: `text == article.text[start:end]`."""

    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class KeyPoint:
    id: str
    evidence: Span
    review: ItemReview = ACCEPTED


@dataclass(frozen=True, slots=True)
class Quote:
    id: str
    speaker: str  # canonical speaker id
    mention: str  # as written: "Kremlin spokesman Dmitry Peskov", "he"
    role: str
    kind: QuoteKind
    words: Span  # the exact words (direct) or the reported content (indirect)
    via: str | None = None  # outlet relaying it: "Reuters"
    cue: str | None = None  # "said", "according to"
    said_on: dt.date | None = None
    review: ItemReview = ACCEPTED
    confidence: float | None = None  # a machine draft's: how sure the extractor is (0-1)


@dataclass(frozen=True, slots=True)
class RegionClaim:
    id: str
    region: str  # ISO 3166-2 code, e.g. "UA-14"
    claim: ClaimType
    actor: str  # who the claim is about: "Russia", "Ukraine"
    asserted_by: str  # speaker id, or "article" when the outlet states it itself
    evidence: Span
    date: dt.date | None = None
    date_precision: str | None = None  # "day" | "month" | "year"
    date_text: str | None = None  # as written: "in September"
    via: str | None = None  # outlet relaying the assertion: "Reuters"
    place: str | None = None  # the town named, when the claim is about a town (Izium)
    review: ItemReview = ACCEPTED
    confidence: float | None = None  # a machine draft's: how sure the extractor is (0-1)


@dataclass(frozen=True, slots=True)
class Contradiction:
    id: str
    a: Span
    b: Span
    why: str
    regions: tuple[str, ...] = ()
    confirmed: bool = True  # False: a machine candidate, offered for a person to confirm
    review: ItemReview = ACCEPTED


@dataclass(frozen=True, slots=True)
class ArticleMeta:
    id: str
    title: str
    publisher: str
    published: dt.date
    url: str
    author: str | None = None
    language: str = "en"


@dataclass(frozen=True, slots=True)
class ArticleDigest:
    """One article's digest as read from its file: metadata, text and curated content."""

    meta: ArticleMeta
    text: str
    review: Review
    key_points: tuple[KeyPoint, ...] = ()
    quotes: tuple[Quote, ...] = ()
    claims: tuple[RegionClaim, ...] = ()
    contradictions: tuple[Contradiction, ...] = ()
    source_file: str = ""
    captions: tuple[Span, ...] = ()


# --------------------------------------------------------------------------------------------
# Answers: what queries return and renderers draw.


@dataclass(frozen=True, slots=True)
class SourceRef:
    """Where a piece of evidence comes from; every item shown carries one."""

    article_id: str
    publisher: str
    title: str
    published: dt.date
    url: str
    review: Review = Review.REVIEWED
    story_id: str | None = None  # syndicated copies share one story


@dataclass(frozen=True, slots=True)
class RegionInfo:
    code: str
    name: str
    kind: str = "oblast"  # oblast | city | autonomous republic


@dataclass(frozen=True, slots=True)
class ClaimItem:
    claim: ClaimType
    actor: str
    asserted_by: str  # display name of the speaker, or the publisher when the article says it
    evidence: str
    source: SourceRef
    date: dt.date | None = None
    date_precision: str | None = None
    via: str | None = None
    place: str | None = None
    state: ItemState = ItemState.ACCEPTED
    item_id: str = ""  # "ARTICLE#c3": the item in its article


@dataclass(frozen=True, slots=True)
class SourceClaims:
    """What one source (speaker or outlet) says about a region, newest first."""

    asserted_by: str
    claims: tuple[ClaimItem, ...]


@dataclass(frozen=True, slots=True)
class ContradictionItem:
    a: str
    b: str
    why: str
    source: SourceRef
    regions: tuple[str, ...] = ()
    confirmed: bool = True
    state: ItemState = ItemState.ACCEPTED
    item_id: str = ""


@dataclass(frozen=True, slots=True)
class StatusAnswer:
    region: RegionInfo
    by_source: tuple[SourceClaims, ...]
    contradictions: tuple[ContradictionItem, ...] = ()
    matched_as: str | None = None  # the spelling that matched, when it was not the name
    total_claims: int = 0


@dataclass(frozen=True, slots=True)
class QuoteItem:
    speaker: str  # display name
    mention: str
    role: str
    kind: QuoteKind
    words: str
    source: SourceRef
    via: str | None = None
    said_on: dt.date | None = None
    cue: str | None = None  # the words of saying as written: "said", "accused", "according to"
    state: ItemState = ItemState.ACCEPTED
    item_id: str = ""
    speaker_id: str = ""


@dataclass(frozen=True, slots=True)
class SpeakerInfo:
    id: str
    name: str
    role: str = ""
    kind: str = "person"


@dataclass(frozen=True, slots=True)
class QuotesAnswer:
    speaker: SpeakerInfo
    quotes: tuple[QuoteItem, ...]
    matched_as: str | None = None
    total: int = 0


@dataclass(frozen=True, slots=True)
class KeyPointItem:
    text: str
    source: SourceRef
    state: ItemState = ItemState.ACCEPTED
    item_id: str = ""


@dataclass(frozen=True, slots=True)
class RegionLine:
    region: RegionInfo
    latest: ClaimItem


@dataclass(frozen=True, slots=True)
class ArticleItem:
    source: SourceRef
    author: str | None = None
    key_point_count: int = 0
    quote_count: int = 0
    claim_count: int = 0
    other_sources: tuple[str, ...] = ()  # publishers of syndicated copies of the same story
    pending: int = 0  # items of the article no person has decided yet


@dataclass(frozen=True, slots=True)
class BriefingAnswer:
    day: dt.date | None  # None: nothing stored
    articles: tuple[ArticleItem, ...]
    key_points: tuple[KeyPointItem, ...]
    regions: tuple[RegionLine, ...]
    quotes: tuple[QuoteItem, ...]
    contradictions: tuple[ContradictionItem, ...]
    unreviewed: tuple[ArticleItem, ...] = ()  # "new, not yet reviewed"


@dataclass(frozen=True, slots=True)
class ContradictionsAnswer:
    region: RegionInfo | None
    items: tuple[ContradictionItem, ...]


@dataclass(frozen=True, slots=True)
class SourcesAnswer:
    articles: tuple[ArticleItem, ...]
    total: int = 0


@dataclass(frozen=True, slots=True)
class HelpAnswer:
    commands: tuple[tuple[str, str], ...]  # (usage as the front end takes it, description)


@dataclass(frozen=True, slots=True)
class SubscriptionLine:
    """One channel's daily digest, as `/subscriptions` shows it."""

    channel: str  # the platform's channel id ("console" in the terminal)
    local_time: str
    timezone: str
    active: bool
    last_posted_on: str | None = None
    failing_reason: str | None = None
    last_result: str | None = None  # the latest slot's outcome, as the scheduler recorded it


@dataclass(frozen=True, slots=True)
class SubscriptionsAnswer:
    platform: str
    items: tuple[SubscriptionLine, ...]


@dataclass(frozen=True, slots=True)
class SubscriptionChanged:
    """A channel's daily digest started (or moved to another time) or stopped."""

    platform: str
    channel: str
    subscribed: bool  # False: stopped
    local_time: str = ""
    timezone: str = ""
    changed: bool = True  # False: unsubscribing a channel that had no digest


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """One item of an article under review, as an editor judges it."""

    item_id: str  # q3, c7...
    kind: str  # key point | statement | claim | contradiction
    state: ItemState
    summary: str  # what the machine (or the last editor) made of it, in our words
    spans: tuple[str, ...]  # the verbatim text it stands on
    context: str  # the paragraph holding its (first) span
    by: str | None = None
    at: dt.datetime | None = None
    was: tuple[tuple[str, str], ...] = ()
    editable: tuple[str, ...] = ()  # what an edit may change: claim, actor, asserted_by, speaker, ...


@dataclass(frozen=True, slots=True)
class ReviewAnswer:
    """One article's items and where each stands."""

    source: SourceRef
    items: tuple[ReviewItem, ...]
    counts: tuple[tuple[ItemState, int], ...]
    page: int = 0  # chat front ends show a page of items at a time
    pages: int = 1
    message: str | None = None  # what the last action did: "accepted c1 (by anna)"
    handle: str = ""  # the article's short name in chat controls (bot.core.schema.article_handle)
    speakers: tuple[tuple[str, str], ...] = ()  # (id, name): whom a statement may be given to


@dataclass(frozen=True, slots=True)
class PendingArticle:
    source: SourceRef
    counts: tuple[tuple[ItemState, int], ...]


@dataclass(frozen=True, slots=True)
class PendingAnswer:
    """Articles with undecided items, newest first."""

    articles: tuple[PendingArticle, ...]
    total: int = 0  # how many articles have undecided items (more than listed when many wait)


@dataclass(frozen=True, slots=True)
class FeedLine:
    """One followed feed, as `/feeds list` shows it."""

    feed_id: int
    url: str
    title: str | None
    last_polled_at: str | None
    next_poll_at: str | None
    failures: int
    last_error: str | None
    last_status: str | None


@dataclass(frozen=True, slots=True)
class FeedsAnswer:
    feeds: tuple[FeedLine, ...]


@dataclass(frozen=True, slots=True)
class FeedChanged:
    """A feed followed or no longer followed (`/feeds add`, `/feeds remove`)."""

    url: str
    following: bool
    changed: bool = True  # False: it was already followed (add) or not followed (remove)
    title: str | None = None
    entries: int | None = None
    poll_minutes: float | None = None


@dataclass(frozen=True, slots=True)
class RegionSummary:
    """A region the sources make claims about: the newest claim's publication day, how many."""

    region: RegionInfo
    latest: dt.date
    claims: int


@dataclass(frozen=True, slots=True)
class RegionsAnswer:
    """Every region with claims, newest first."""

    regions: tuple[RegionSummary, ...]


@dataclass(frozen=True, slots=True)
class SpeakerSummary:
    speaker: SpeakerInfo
    statements: int


@dataclass(frozen=True, slots=True)
class SpeakersAnswer:
    """Speakers with statements, the most quoted first."""

    speakers: tuple[SpeakerSummary, ...]
    total: int = 0


@dataclass(frozen=True, slots=True)
class TimelineDay:
    """A region's claims published on one day."""

    day: dt.date
    claims: tuple[ClaimItem, ...]


@dataclass(frozen=True, slots=True)
class RegionAnswer:
    """A region's page: what each source says (the /status answer) and its claims day by day."""

    status: StatusAnswer
    timeline: tuple[TimelineDay, ...]


@dataclass(frozen=True, slots=True)
class Mark:
    """A curated span of an article's text, and the item it stands for."""

    start: int
    end: int
    item_id: str  # q3, c7...
    kind: str  # key point | statement | claim | contradiction
    state: ItemState


@dataclass(frozen=True, slots=True)
class ArticleAnswer:
    """An article's page: its cleaned text, every curated span in it, and its items with their
    states (the same items a review shows)."""

    review: ReviewAnswer
    text: str
    marks: tuple[Mark, ...]
    author: str | None = None
    editors_view: bool = False  # rejected items included (an editor reviews them)


@dataclass(frozen=True, slots=True)
class Snippet:
    """A stretch of an article's text around search matches: (text, matched) pieces."""

    pieces: tuple[tuple[str, bool], ...]


@dataclass(frozen=True, slots=True)
class ArticleHit:
    source: SourceRef
    snippet: Snippet


@dataclass(frozen=True, slots=True)
class SearchAnswer:
    """Articles and statements matching a search, best first; `message` when nothing could be
    searched for (an empty query) or nothing matched."""

    query: str
    articles: tuple[ArticleHit, ...] = ()
    quotes: tuple[QuoteItem, ...] = ()
    message: str | None = None


@dataclass(frozen=True, slots=True)
class NotFound:
    """An unknown region, speaker or date: a short message and the closest matches."""

    what: str  # "region" | "regions" (a name covering several) | "outside" (a place not covered) | "speaker" | "date"
    query: str
    suggestions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class UsageError:
    """Input the parser could not take: a short message and the usage line."""

    message: str
    usage: str = ""


@dataclass(frozen=True, slots=True)
class Notice:
    """A plain one-line answer (e.g. a subscription confirmed)."""

    text: str
    ok: bool = True


Answer = (
    StatusAnswer
    | QuotesAnswer
    | BriefingAnswer
    | ContradictionsAnswer
    | SourcesAnswer
    | HelpAnswer
    | SubscriptionsAnswer
    | SubscriptionChanged
    | ReviewAnswer
    | PendingAnswer
    | FeedsAnswer
    | FeedChanged
    | RegionsAnswer
    | RegionAnswer
    | SpeakersAnswer
    | ArticleAnswer
    | SearchAnswer
    | NotFound
    | UsageError
    | Notice
)


def to_jsonable(value: Any) -> Any:
    """Dataclasses, enums, dates and tuples -> JSON-ready dicts, strings and lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {"type": type(value).__name__}
        for f in dataclasses.fields(value):
            out[f.name] = to_jsonable(getattr(value, f.name))
        return out
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    return value
