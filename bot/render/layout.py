"""Every answer laid out once, platform-free: titles, notes, sections, items, labels, wording.

`layout(answer)` turns any answer of the core into a `Layout`: what is shown and in which
order, with every word of it decided here (section headings, empty states, counts, review
labels, not-found and usage messages). The renderers (`text.py` for the console,
`discord_embeds.py`, `slack_blocks.py`, and the web view's templates) only turn a Layout into
their format: they escape, link, pack into their platform's limits and page. They never decide
what an answer says.

Text is kept in `Run`s with a style so that a renderer can escape what came from an article
(every quote is verbatim, and may hold markdown, mentions or markup) and style what we wrote.
Only labels are generated here (what kind of claim, by whom, when); the sentences shown as
evidence are always verbatim spans of stored articles.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import functools
import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.core.dates import format_date
from bot.core.gazetteer import COVERED
from bot.core.models import (
    CLAIM_DESCRIPTIONS,
    Answer,
    ArticleAnswer,
    ArticleItem,
    BriefingAnswer,
    ClaimItem,
    ClaimType,
    ContradictionItem,
    ContradictionsAnswer,
    FeedChanged,
    FeedsAnswer,
    HelpAnswer,
    ItemState,
    KeyPointItem,
    Mark,
    NotFound,
    Notice,
    PendingAnswer,
    QuoteItem,
    QuoteKind,
    QuotesAnswer,
    RegionAnswer,
    RegionInfo,
    RegionsAnswer,
    Review,
    ReviewAnswer,
    ReviewItem,
    SearchAnswer,
    SourceRef,
    SourcesAnswer,
    SpeakersAnswer,
    StatusAnswer,
    SubscriptionChanged,
    SubscriptionsAnswer,
    UsageError,
)

UNREVIEWED_LABEL = "automatic, not reviewed"
NEW_LABEL = "new, not yet reviewed"
CANDIDATE_LABEL = "candidate, not confirmed"
VERBATIM_NOTE = "quoted words are verbatim from the articles"


def cut_marker(hidden: int) -> str:
    """What a renderer puts where it had to shorten a quote: never a silent cut."""
    return f" … ✂ [cut: {hidden:,} more characters — full text at the source]"


def continued(heading: str) -> str:
    """A section heading repeated at the top of the next page or message."""
    return f"{heading} (continued)"


def not_shown(hidden: int) -> str:
    return f"✂ {hidden:,} more item(s) not shown here: ask for a narrower answer."


# --------------------------------------------------------------------------------------------
# The layout


class Style(enum.StrEnum):
    PLAIN = "plain"
    STRONG = "strong"
    EMPH = "emph"
    CODE = "code"


@dataclass(frozen=True, slots=True)
class Run:
    """A piece of text with its style; `url` makes it a link (renderers link http(s) only),
    `channel` makes it a reference to a chat channel (never a ping)."""

    text: str
    style: Style = Style.PLAIN
    url: str | None = None
    channel: str | None = None
    ref: Ref | None = None  # another answer this text stands for (the web view links it)


class RefKind(enum.StrEnum):
    """What a reference points at: each has a page in the web view and a command in chat."""

    REGION = "region"
    SPEAKER = "speaker"
    ARTICLE = "article"


@dataclass(frozen=True, slots=True)
class Ref:
    kind: RefKind
    key: str  # a region's code, a speaker's id, an article's id


Line = tuple[Run, ...]


def plain(text: str) -> Line:
    return (Run(text),)


def line_text(line: Iterable[Run]) -> str:
    """A line as plain text (channels as #id)."""
    return "".join(f"#{r.channel}" if r.channel and not r.text else r.text for r in line)


@dataclass(frozen=True, slots=True)
class SourceLine:
    """Where an item comes from: publisher, day, link, relaying outlet, and its review label."""

    publisher: str
    day: str
    url: str
    via: str | None = None
    label: str | None = None
    article: str = ""  # the stored article's id (the web view links its page)
    state: str = ""  # the item's review state, where a renderer shows it besides the label

    @property
    def text(self) -> str:
        """'Newsweek, 8 Dec 2022, via Reuters'."""
        out = f"{self.publisher or 'unknown source'}, {self.day}"
        return f"{out}, via {self.via}" if self.via else out


class Verb(enum.StrEnum):
    ACCEPT = "accept"
    REJECT = "reject"
    EDIT = "edit"
    PAGE = "page"
    PROMOTE = "promote"  # mark the article reviewed (offered once nothing is undecided)


@dataclass(frozen=True, slots=True)
class Action:
    """A control an editor may use (renderers draw buttons, menus or a command hint).

    `key` is the article's short handle, what a chat control carries; `item` is "" for the whole
    article (accept all, reject all); `page` is the page the control redraws (a page button's
    target, else the page it sits on); an edit's `field` is what it changes and `options` its
    choices as (value, label)."""

    verb: Verb
    article: str
    key: str
    item: str
    label: str
    page: int = 0
    field: str = ""
    options: tuple[tuple[str, str], ...] = ()
    done: bool = False  # the item already stands so (a renderer may show it pressed or disabled)


# A review control carries all it needs in its id (the article's short handle, the item, the
# page), so a press works after a restart and needs no state: `bb:rv:VERB:KEY:ITEM:PAGE[:FIELD]`.
# VERB is a (accept), r (reject), m (open the menu of an edit), e (an edit chosen in that menu:
# the value comes with the press), p (a page, or back from a menu) or v (mark the article
# reviewed). The same ids serve
# Discord's custom ids (at most 100 characters) and Slack's action ids. Who pressed is checked
# by the front end on every press, never read from the id.

CONTROL_PREFIX = "bb:rv:"
_CONTROL = re.compile(
    r"bb:rv:(?P<verb>[armepv]):(?P<key>[0-9a-f]{12}):(?P<item>[A-Za-z0-9._-]{0,40}):(?P<page>[0-9]{1,4})"
    r"(?::(?P<field>[a-z_]{1,20}))?"
)
_VERBS = {"a": "accept", "r": "reject", "m": "menu", "e": "edit", "p": "page", "v": "promote"}
CONTROL_CODES = {Verb.ACCEPT: "a", Verb.REJECT: "r", Verb.PAGE: "p", Verb.PROMOTE: "v"}


@dataclass(frozen=True, slots=True)
class ControlPress:
    """A review control pressed: `verb` accept | reject | menu | edit | page | promote."""

    verb: str
    key: str
    item: str
    page: int
    field: str = ""


def control_id(code: str, action: Action, field: str = "") -> str:
    """The id of a control: `code` a, r, m, e or p (see above)."""
    out = f"{CONTROL_PREFIX}{code}:{action.key}:{action.item}:{action.page}"
    return f"{out}:{field}" if field else out


def parse_control(control: str) -> ControlPress | None:
    match = _CONTROL.fullmatch(control)
    if match is None:
        return None
    return ControlPress(_VERBS[match["verb"]], match["key"], match["item"], int(match["page"]), match["field"] or "")


@dataclass(frozen=True, slots=True)
class Piece:
    """A stretch of an article's text; `items` are the curated items whose spans cover it,
    innermost first (a claim inside a quoted sentence), with the innermost one's kind and state."""

    text: str
    items: tuple[str, ...] = ()
    kind: str = ""
    state: ItemState | None = None
    starts: tuple[str, ...] = ()  # the items whose first span starts here (where "in the text" leads)


Paragraph = tuple[Piece, ...]


@dataclass(frozen=True, slots=True)
class Item:
    """One unit of an answer (a claim, a quote, an article...), never split across pages.

    `quotes` are verbatim spans (two for a contradiction, shown with "vs" between them).
    """

    lead: Line = ()
    quotes: tuple[str, ...] = ()
    source: SourceLine | None = None
    details: tuple[Line, ...] = ()
    note: str | None = None  # a label of the item itself: "candidate, not confirmed"
    actions: tuple[Action, ...] = ()
    excerpt: tuple[Piece, ...] = ()  # a stretch of article text with matches marked (search)
    key: str = ""  # the item's id in its article (q3), where the answer is about one article


@dataclass(frozen=True, slots=True)
class Section:
    heading: str | None
    items: tuple[Item, ...]
    empty: str | None = None  # shown when there are no items
    group: str = ""  # sections of one group are shown together ("timeline": one section a day)


class Tone(enum.StrEnum):
    ANSWER = "answer"
    WARNING = "warning"  # contradictions
    ERROR = "error"


Rerun = tuple[str, tuple[tuple[str, str], ...]]  # (command, args) that redraws the answer


@dataclass(frozen=True, slots=True)
class Layout:
    """An answer as shown. A short answer (an error, a confirmation) is only a `message`."""

    title: str = ""
    notes: tuple[Line, ...] = ()
    sections: tuple[Section, ...] = ()
    footer: str = ""
    message: Line | None = None
    usage: str | None = None
    private: bool = False  # shown to the caller only (errors, help, subscriptions)
    tone: Tone = Tone.ANSWER
    rerun: Rerun | None = None  # read-only answers can be redrawn page by page
    actions: tuple[Action, ...] = ()  # controls on the whole answer (accept all, pages of a review)
    page: tuple[int, int] | None = None  # (page, pages) of an answer the front end pages itself
    document: tuple[Paragraph, ...] = ()  # an article's text with its curated spans marked

    @property
    def is_message(self) -> bool:
        return self.message is not None

    def items(self) -> Iterable[Item]:
        for section in self.sections:
            yield from section.items


# --------------------------------------------------------------------------------------------
# Wording shared by the items


_PHRASES: dict[ClaimType, str] = {
    ClaimType.ANNEXED: "{actor} annexed it",
    ClaimType.CLAIMS_SOVEREIGNTY: "{actor} claims it as its territory",
    ClaimType.REJECTS_CLAIM: "rejects {actor}'s claim as illegitimate",
    ClaimType.CONTROLS: "{actor} controls it",
    ClaimType.LACKS_CONTROL: "{actor} does not hold military control",
    ClaimType.OCCUPIED: "occupied by {actor}",
    ClaimType.WITHDREW: "{actor} withdrew forces",
    ClaimType.RECAPTURED: "{actor} took it back",
    ClaimType.CONTESTED: "contested ({actor})",
    ClaimType.FIGHTING: "fighting ({actor})",
    ClaimType.SHELLING: "shelling ({actor})",
    ClaimType.GOAL: '{actor} aims to take ("liberate") it',
}


@functools.lru_cache(maxsize=4096)
def day(date: dt.date) -> str:
    return format_date(date, "day")


def claim_phrase(item: ClaimItem) -> str:
    """'Russia annexed it (in Izium), September 2022'."""
    phrase = _PHRASES[item.claim].format(actor=item.actor)
    if item.place:
        phrase += f" (in {item.place})"
    when = format_date(item.date, item.date_precision)
    return f"{phrase}, {when}" if when else phrase


def review_label(review: Review) -> str | None:
    return {Review.DRAFT: UNREVIEWED_LABEL, Review.NONE: NEW_LABEL}.get(review)


def source_line(source: SourceRef, via: str | None = None, state: ItemState = ItemState.ACCEPTED) -> SourceLine:
    """Where an item comes from, labelled when no person has decided the item yet."""
    label = UNREVIEWED_LABEL if state == ItemState.UNDECIDED else None
    reviewed = _STATE_WORDS[state] if state.reviewed else ""
    return SourceLine(source.publisher, day(source.published), source.url, via, label, source.article_id, reviewed)


_KIND_SUFFIX = {
    QuoteKind.DIRECT: "",
    QuoteKind.INDIRECT: " (reported speech)",
    QuoteKind.MIXED: " (reported speech with quoted words)",
}


def saying(item: QuoteItem) -> str:
    """The words of saying shown with a statement: the cue as written when it is a verb
    ("accused", "denied", "told reporters"), else "said"; reported speech is marked."""
    return _saying(item.cue or "", item.kind)


@functools.lru_cache(maxsize=4096)
def _saying(raw_cue: str, kind: QuoteKind) -> str:
    cue = " ".join(raw_cue.split()).strip(" ,:;—-")
    words = cue.split()
    if cue.casefold().startswith("according to"):
        verb = "according to"
    elif cue and len(words) <= 3 and all(w.isalpha() for w in words) and cue[0].islower():
        verb = cue
    else:
        verb = "said"
    return verb + _KIND_SUFFIX[kind]


def speaker_name(item: QuoteItem) -> str:
    """'Dmitry Peskov (as “a Russian spokesperson”)': the canonical name, and the mention as written."""
    who = item.speaker
    if item.mention and item.mention.casefold() != item.speaker.casefold():
        who += f" (as “{item.mention}”)"
    return who


def counted(shown: int, total: int, noun: str) -> str:
    """'3 of 1,240 claims' when some are not shown, else '1 claim' / '40 claims'."""
    total = max(total, shown)
    if total > shown:
        return f"{shown} of {total:,} {noun}s"
    return f"{total} {noun}{'s' * (total != 1)}"


# --------------------------------------------------------------------------------------------
# Items


def claim_item(item: ClaimItem, *, region: RegionInfo | None = None, asserter: bool = False) -> Item:
    """A claim; with `region` (the briefing, a timeline) it says which region and who says so."""
    phrase = claim_phrase(item) + (f" (according to {item.asserted_by})" if asserter or region else "")
    if region is None:
        lead: Line = (Run(phrase, Style.STRONG),)
    else:
        lead = (Run(region.name, Style.STRONG, ref=Ref(RefKind.REGION, region.code)), Run(f": {phrase}"))
    return Item(lead, (item.evidence,), source_line(item.source, item.via, item.state))


def quote_item(item: QuoteItem) -> Item:
    when = f" on {day(item.said_on)}" if item.said_on else ""
    ref = Ref(RefKind.SPEAKER, item.speaker_id) if item.speaker_id else None
    lead = (Run(speaker_name(item), Style.STRONG, ref=ref), Run(f" {saying(item)}{when}:"))
    return Item(lead, (item.words,), source_line(item.source, item.via, item.state))


def contradiction_item(item: ContradictionItem) -> Item:
    return Item(
        (Run(item.why, Style.EMPH),),
        (item.a, item.b),
        source_line(item.source, state=item.state),
        note=None if item.confirmed else CANDIDATE_LABEL,
    )


def key_point_item(item: KeyPointItem) -> Item:
    return Item((), (item.text,), source_line(item.source, state=item.state))


def article_item(item: ArticleItem, *, labelled: bool = True) -> Item:
    """An article as listed; `labelled` False where the section heading already says it is unreviewed."""
    s = item.source
    details: list[Line] = []
    if item.author:
        details.append(plain(f"by {item.author}"))
    details.append(
        plain(f"{item.key_point_count} key points, {item.quote_count} quotes, {item.claim_count} region claims")
    )
    if item.other_sources:
        details.append(plain("same story also from: " + ", ".join(item.other_sources)))
    if item.pending and labelled:
        details.append(plain(f"{item.pending} item{'s' * (item.pending != 1)} to review"))
    lead = (Run(s.title or "(untitled)", Style.STRONG, url=s.url, ref=Ref(RefKind.ARTICLE, s.article_id)),)
    label = review_label(s.review) if labelled else None
    return Item(lead, (), SourceLine(s.publisher, day(s.published), "", None, label), tuple(details))


# --------------------------------------------------------------------------------------------
# Answers


def _matched(matched_as: str | None, name: str) -> tuple[Line, ...]:
    if matched_as and matched_as.casefold() != name.casefold():
        return (plain(f"matched “{matched_as}”"),)
    return ()


def _status(answer: StatusAnswer) -> Layout:
    region = answer.region
    shown = sum(len(g.claims) for g in answer.by_source)
    sections = [
        Section(f"According to {group.asserted_by}", tuple(claim_item(c) for c in group.claims))
        for group in answer.by_source
    ]
    if not sections:
        sections.append(Section(None, (), empty=f"No claims about {region.name} in the stored articles yet."))
    if answer.contradictions:
        sections.append(Section("Contradictions", tuple(contradiction_item(c) for c in answer.contradictions)))
    count = counted(shown, answer.total_claims, "claim")
    return Layout(
        title=f"{region.name} ({region.code}): what the sources say",
        notes=(*_matched(answer.matched_as, region.name), plain(f"{count}, newest first")),
        sections=tuple(sections),
        footer=VERBATIM_NOTE,
        rerun=("status", (("region", region.code),)),
    )


def _quotes(answer: QuotesAnswer) -> Layout:
    speaker = answer.speaker
    count = counted(len(answer.quotes), answer.total, "statement")
    empty = f"No statements by {speaker.name} in the stored articles yet."
    return Layout(
        title=speaker.name + (f", {speaker.role}" if speaker.role else ""),
        notes=(*_matched(answer.matched_as, speaker.name), plain(f"{count}, newest first")),
        sections=(Section(None, tuple(quote_item(q) for q in answer.quotes), empty=empty),),
        footer=VERBATIM_NOTE,
        rerun=("quote", (("speaker", speaker.id),)),
    )


def _briefing(answer: BriefingAnswer) -> Layout:
    if answer.day is None and not answer.articles and not answer.unreviewed:
        return Layout(message=plain("No articles stored yet."))
    sections = tuple(
        section
        for section in (
            Section("Key points", tuple(key_point_item(k) for k in answer.key_points)),
            Section("Regions", tuple(claim_item(r.latest, region=r.region) for r in answer.regions)),
            Section("Notable quotes", tuple(quote_item(q) for q in answer.quotes)),
            Section("Contradictions", tuple(contradiction_item(c) for c in answer.contradictions)),
            Section("Sources", tuple(article_item(a) for a in answer.articles)),
            Section("New, not yet reviewed", tuple(article_item(a, labelled=False) for a in answer.unreviewed)),
        )
        if section.items
    )
    n = len(answer.articles)
    return Layout(
        title=f"Digest for {day(answer.day)}" if answer.day else "Digest: new since the last one",
        notes=(plain(f"{n} article{'s' * (n != 1)}"),),
        sections=sections or (Section(None, (), empty="A quiet day: nothing new."),),
        footer=VERBATIM_NOTE,
        rerun=("digest", (("date", answer.day.isoformat()),)) if answer.day else None,
    )


def _contradictions(answer: ContradictionsAnswer) -> Layout:
    where = f" about {answer.region.name}" if answer.region else ""
    return Layout(
        title=f"Contradictions{where}",
        notes=(plain("two statements that cannot both be true, each verbatim from its article"),),
        sections=(
            Section(
                None, tuple(contradiction_item(c) for c in answer.items), empty=f"No contradictions recorded{where}."
            ),
        ),
        tone=Tone.WARNING,
        rerun=("contradictions", (("region", answer.region.code),) if answer.region else ()),
    )


def _sources(answer: SourcesAnswer) -> Layout:
    shown = len(answer.articles)
    return Layout(
        title="Sources",
        notes=(plain(f"{counted(shown, answer.total, 'article')}, newest first"),),
        sections=(Section(None, tuple(article_item(a) for a in answer.articles), empty="No articles stored yet."),),
        rerun=("sources", ()),
    )


def _help(answer: HelpAnswer) -> Layout:
    items = tuple(Item((Run(usage, Style.CODE), Run(f" — {description}"))) for usage, description in answer.commands)
    return Layout(
        title="briefbot commands",
        sections=(Section(None, items),),
        footer="every quote and claim links to its source article",
        private=True,
    )


def _channel(platform: str, channel: str) -> Run:
    """The channel a subscription is for: a reference the platform shows by name (never a ping)."""
    return Run("this channel") if platform == "console" and channel == "console" else Run("", channel=channel)


def _subscriptions(answer: SubscriptionsAnswer) -> Layout:
    items = []
    for sub in answer.items:
        state = "active" if sub.active else "stopped"
        if sub.active and sub.failing_reason:
            state = f"failing: {sub.failing_reason}"
        last = f", last posted {sub.last_posted_on}" if sub.last_posted_on else ""
        if sub.last_result and sub.last_result.startswith(("uncertain", "missed", "skipped")):
            last += f"; {sub.last_result}"  # a slot that may not have been posted is never silent
        where = _channel(answer.platform, sub.channel)
        if where.text:
            where = Run(where.text.capitalize())
        items.append(Item((where, Run(f" at {sub.local_time} {sub.timezone}: {state}{last}"))))
    empty = "No daily digests here yet. Use /subscribe HH:MM [timezone]."
    return Layout(title="Daily digests here", sections=(Section(None, tuple(items), empty=empty),), private=True)


def _subscription_changed(answer: SubscriptionChanged) -> Layout:
    where = _channel(answer.platform, answer.channel)
    if answer.subscribed:
        message: Line = (where, Run(f" gets the daily digest at {answer.local_time} ({answer.timezone})."))
    elif answer.changed:
        message = (Run("Daily digest stopped in "), where, Run("."))
    else:
        message = (where, Run(" had no daily digest."))
    if message[0].text == "this channel":
        message = (Run("This channel"), *message[1:])
    return Layout(message=message)


COVERED_COUNTRIES = ", ".join(list(COVERED.values())[:-1]) + " and " + list(COVERED.values())[-1]


def _not_found(answer: NotFound) -> Layout:
    query = answer.query[:60]
    if answer.what == "date":
        text = f"No articles on {query}."
        if answer.suggestions:
            text += " Nearest days with articles: " + ", ".join(answer.suggestions) + "."
    elif answer.what == "outside":
        text = f"{answer.suggestions[0]} is not a region briefbot follows (it covers {COVERED_COUNTRIES})."
    elif answer.what == "regions":
        text = f"“{query}” covers several regions: ask for one of " + ", ".join(answer.suggestions) + "."
    else:
        text = f"Unknown {answer.what} “{query}”."
        if answer.suggestions:
            text += " Did you mean: " + ", ".join(answer.suggestions[:5]) + "?"
    return Layout(message=plain(text), private=True, tone=Tone.ERROR)


_STATE_WORDS = {
    ItemState.UNDECIDED: "undecided",
    ItemState.ACCEPTED: "accepted",
    ItemState.REJECTED: "rejected",
    ItemState.EDITED: "edited",
}
CLAIM_CHOICES = tuple((c.value, CLAIM_DESCRIPTIONS[c]) for c in ClaimType)


def _counts(counts: tuple[tuple[ItemState, int], ...]) -> str:
    return ", ".join(f"{n} {_STATE_WORDS[state]}" for state, n in counts if n)


def _decided(item: ReviewItem) -> str:
    if item.state == ItemState.UNDECIDED or not item.by:
        return _STATE_WORDS[item.state]
    when = f", {item.at.strftime('%d %b %Y %H:%M')} UTC" if item.at else ""
    return f"{_STATE_WORDS[item.state]} by {item.by}{when}"


CONTEXT_CHARS = 420  # of a paragraph shown around an item's words: enough to judge it, short enough for a card


def context_window(context: str, words: str, limit: int = CONTEXT_CHARS) -> str:
    """The paragraph around `words`, cut (with a visible "…") to about `limit` characters."""
    if len(context) <= limit:
        return context
    at = max(0, context.find(words))
    spare = max(0, limit - len(words)) // 2
    start = max(0, at - spare)
    end = min(len(context), at + len(words) + spare)
    head = "… " if start > 0 else ""
    tail = " …" if end < len(context) else ""
    return f"{head}{context[start:end].strip()}{tail}"


def _review_item(answer: ReviewAnswer, item: ReviewItem) -> Item:
    article, key, page = answer.source.article_id, answer.handle, answer.page
    details: list[Line] = []
    if item.context not in item.spans:
        details.append(plain(f"in: {context_window(item.context, item.spans[0] if item.spans else '')}"))
    if item.was:
        details.append(plain("changed from: " + "; ".join(f"{k} {v}" for k, v in item.was)))
    actions = [
        Action(Verb.ACCEPT, article, key, item.item_id, "Accept", page, done=item.state.reviewed),
        Action(Verb.REJECT, article, key, item.item_id, "Reject", page, done=item.state == ItemState.REJECTED),
    ]
    if "claim" in item.editable:
        actions.append(Action(Verb.EDIT, article, key, item.item_id, "Claim type…", page, "claim", CLAIM_CHOICES))
    if "speaker" in item.editable and answer.speakers:
        actions.append(Action(Verb.EDIT, article, key, item.item_id, "Speaker…", page, "speaker", answer.speakers))
    lead = (
        Run(item.item_id, Style.CODE),
        Run(f" {item.kind}" + (": " if item.summary else ""), Style.PLAIN),
        *((Run(item.summary, Style.STRONG),) if item.summary else ()),
        Run(" "),
        Run(f"[{_decided(item)}]", Style.EMPH),
    )
    return Item(lead, item.spans, None, tuple(details), actions=tuple(actions), key=item.item_id)


def _review(answer: ReviewAnswer) -> Layout:
    src = answer.source
    article, key, page = src.article_id, answer.handle, answer.page
    notes = [plain(f"{src.publisher}, {day(src.published)}"), plain(_counts(answer.counts))]
    if answer.message:
        notes.insert(0, plain(answer.message))
    undecided = dict(answer.counts).get(ItemState.UNDECIDED, 0)
    actions = []
    if page > 0:
        actions.append(Action(Verb.PAGE, article, key, "", f"◀ Page {page}", page - 1))
    if undecided:
        actions += [
            Action(Verb.ACCEPT, article, key, "", f"Accept all {undecided} undecided", page),
            Action(Verb.REJECT, article, key, "", f"Reject all {undecided} undecided", page),
        ]
    elif src.review == Review.DRAFT and answer.items:
        actions.append(Action(Verb.PROMOTE, article, key, "", "Mark the article reviewed", page))
    if page < answer.pages - 1:
        actions.append(Action(Verb.PAGE, article, key, "", f"Page {page + 2} ▶", page + 1))
    empty = "Nothing was drafted from this article."
    footer = f"article {article} · every quoted span is verbatim from the article"
    if answer.pages > 1:
        footer = f"Page {page + 1} of {answer.pages} · {footer}"
    return Layout(
        title=f"Review: {src.title}",
        notes=tuple(notes),
        sections=(Section(None, tuple(_review_item(answer, i) for i in answer.items), empty=empty),),
        footer=footer,
        private=True,
        actions=tuple(actions),
        page=(page, answer.pages) if answer.pages > 1 else None,
    )


def _pending(answer: PendingAnswer) -> Layout:
    items = []
    for article in answer.articles:
        src = article.source
        lead = (Run(src.title or "(untitled)", Style.STRONG, url=src.url, ref=Ref(RefKind.ARTICLE, src.article_id)),)
        details = (plain(f"id {src.article_id}"), plain(_counts(article.counts)))
        source = SourceLine(src.publisher, day(src.published), "", None, None)
        items.append(Item(lead, (), source, details))
    return Layout(
        title="Drafts to review",
        notes=(
            plain(
                f"{counted(len(items), max(answer.total, len(items)), 'article')} with undecided items, newest first"
            ),
        ),
        sections=(Section(None, tuple(items), empty="No machine draft is waiting for a decision."),),
        private=True,
    )


def _feeds(answer: FeedsAnswer) -> Layout:
    items = []
    for feed in answer.feeds:
        if feed.failures:
            state = f"failing ({feed.failures}×: {feed.last_error or 'unknown error'})"
        else:
            state = feed.last_status or "not polled yet"
        lead = (Run(feed.title or feed.url, Style.STRONG, url=feed.url),)
        details = (plain(f"feed {feed.feed_id} · last poll {feed.last_polled_at or '-'} · {state}"),)
        items.append(Item(lead, (), None, details))
    empty = "No feeds followed. Add one with /feeds add URL."
    return Layout(title="Followed feeds", sections=(Section(None, tuple(items), empty=empty),), private=True)


def _feed_changed(answer: FeedChanged) -> Layout:
    name = answer.title or answer.url
    if answer.following and not answer.changed:
        message = f"Already following {name}."
    elif answer.following:
        every = f"; polled every {answer.poll_minutes:g} minutes" if answer.poll_minutes else ""
        entries = f" ({answer.entries} entries now)" if answer.entries is not None else ""
        message = f"Following {name}{entries}{every}. New articles are drafted for review."
    elif answer.changed:
        message = f"Stopped following {name}; its articles stay."
    else:
        message = f"{name} was not followed."
    return Layout(message=plain(message), private=True)


def _regions(answer: RegionsAnswer) -> Layout:
    items = tuple(
        Item(
            (Run(r.region.name, Style.STRONG, ref=Ref(RefKind.REGION, r.region.code)), Run(f" ({r.region.code})")),
            details=(plain(f"{counted(r.claims, r.claims, 'claim')}, newest {day(r.latest)}"),),
        )
        for r in answer.regions
    )
    return Layout(
        title="Regions with claims",
        notes=(plain("the most recently claimed first"),),
        sections=(Section(None, items, empty="No region claims in the stored articles yet."),),
    )


def _speakers(answer: SpeakersAnswer) -> Layout:
    items = tuple(
        Item(
            (Run(s.speaker.name, Style.STRONG, ref=Ref(RefKind.SPEAKER, s.speaker.id)),)
            + ((Run(f", {s.speaker.role}"),) if s.speaker.role else ()),
            details=(plain(counted(s.statements, s.statements, "statement")),),
        )
        for s in answer.speakers
    )
    return Layout(
        title="Speakers",
        notes=(plain(f"{counted(len(items), answer.total, 'speaker')}, the most quoted first"),),
        sections=(Section(None, items, empty="No statements in the stored articles yet."),),
    )


def _region(answer: RegionAnswer) -> Layout:
    status = _status(answer.status)
    timeline = tuple(
        Section(day(d.day), tuple(claim_item(c, asserter=True) for c in d.claims), group="timeline")
        for d in answer.timeline
    )
    return dataclasses.replace(status, sections=status.sections + timeline, rerun=None)


def _pieces(text: str, marks: tuple[Mark, ...]) -> tuple[Paragraph, ...]:
    """The text cut at every mark's start and end, each piece with the marks covering it; one
    paragraph a line."""
    cuts = sorted({0, len(text), *(m.start for m in marks), *(m.end for m in marks)})
    paragraphs: list[list[Piece]] = [[]]
    started: set[str] = set()
    for start, end in itertools.pairwise(cuts):
        covering = sorted((m for m in marks if m.start <= start and end <= m.end), key=lambda m: m.end - m.start)
        items = tuple(dict.fromkeys(m.item_id for m in covering))
        inner = covering[0] if covering else None
        for n, line in enumerate(text[start:end].split("\n")):
            if n:
                paragraphs.append([])
            if line:
                starts = tuple(i for i in items if i not in started)
                started.update(starts)
                kind, state = (inner.kind, inner.state) if inner else ("", None)
                paragraphs[-1].append(Piece(line, items, kind, state, starts))
    return tuple(tuple(p) for p in paragraphs if p)


def _article(answer: ArticleAnswer) -> Layout:
    review = _review(answer.review)
    src = answer.review.source
    byline = f"{src.publisher}, {day(src.published)}" + (f", by {answer.author}" if answer.author else "")
    notes = [(Run(byline), *((Run(" · "), Run("the original article", url=src.url)) if src.url else ()))]
    label = review_label(src.review)
    if label:
        notes.append(plain(label))
    notes.append(plain(_counts(answer.review.counts) or "nothing curated yet"))
    if answer.review.message:
        notes.insert(0, plain(answer.review.message))
    items = review.sections[0].items
    if not answer.editors_view:  # readers see each item and its state, no controls
        items = tuple(dataclasses.replace(i, actions=()) for i in items)
    source = SourceLine(src.publisher, day(src.published), src.url, None, label, src.article_id)
    return Layout(
        title=src.title or "(untitled)",
        notes=tuple(notes),
        sections=(Section("Curated items", items, empty="Nothing was curated or drafted from this article."),),
        footer=f"{source.text} · every highlighted span is verbatim from the article",
        actions=review.actions if answer.editors_view else (),
        document=_pieces(answer.text, answer.marks),
    )


def _search(answer: SearchAnswer) -> Layout:
    if answer.message:
        return Layout(title=f"Search: {answer.query[:60]}" if answer.query else "Search", message=plain(answer.message))
    articles = tuple(
        Item(
            (Run(h.source.title or "(untitled)", Style.STRONG, ref=Ref(RefKind.ARTICLE, h.source.article_id)),),
            source=SourceLine(
                h.source.publisher,
                day(h.source.published),
                h.source.url,
                None,
                review_label(h.source.review),
                h.source.article_id,
            ),
            excerpt=tuple(Piece(text, ("match",) if matched else ()) for text, matched in h.snippet.pieces),
        )
        for h in answer.articles
    )
    return Layout(
        title=f"Search: {answer.query[:60]}",
        notes=(
            plain(
                f"{counted(len(answer.articles), len(answer.articles), 'article')}, "
                f"{counted(len(answer.quotes), len(answer.quotes), 'statement')}, best match first"
            ),
        ),
        sections=(
            Section("Articles", articles, empty="No article text matches."),
            Section("Statements", tuple(quote_item(q) for q in answer.quotes), empty="No statement matches."),
        ),
        footer=VERBATIM_NOTE,
    )


def layout(answer: Answer) -> Layout:
    """Any answer of the core, laid out."""
    match answer:
        case RegionsAnswer():
            return _regions(answer)
        case RegionAnswer():
            return _region(answer)
        case SpeakersAnswer():
            return _speakers(answer)
        case ArticleAnswer():
            return _article(answer)
        case SearchAnswer():
            return _search(answer)
        case StatusAnswer():
            return _status(answer)
        case QuotesAnswer():
            return _quotes(answer)
        case BriefingAnswer():
            return _briefing(answer)
        case ContradictionsAnswer():
            return _contradictions(answer)
        case SourcesAnswer():
            return _sources(answer)
        case HelpAnswer():
            return _help(answer)
        case SubscriptionsAnswer():
            return _subscriptions(answer)
        case SubscriptionChanged():
            return _subscription_changed(answer)
        case ReviewAnswer():
            return _review(answer)
        case PendingAnswer():
            return _pending(answer)
        case FeedsAnswer():
            return _feeds(answer)
        case FeedChanged():
            return _feed_changed(answer)
        case NotFound():
            return _not_found(answer)
        case UsageError():
            return Layout(message=plain(answer.message), usage=answer.usage or None, private=True, tone=Tone.ERROR)
        case Notice():
            return Layout(
                message=plain(answer.text), private=not answer.ok, tone=Tone.ANSWER if answer.ok else Tone.ERROR
            )
    raise TypeError(f"no layout for {type(answer).__name__}")
