"""Region mentions, region claims, dates, key points and candidate contradictions from article text.

Rule-based on purpose: claims use the core's fixed `ClaimType` vocabulary, so a claim is a
region mention (gazetteer, exact names only: towns map to their oblast) that a trigger word of
that claim type ("annexed", "withdrew", "shelling"...) governs in its sentence: the nearest
place to the trigger, counting a clause mark as distance, with the places listed together with
it; what is planned or would happen is not a fact (a low confidence). A claim inside an
attribution's content is asserted by that attribution's speaker, otherwise by the article.
Dates written in the sentence ("in September", "Thursday") resolve against the publication
date with the core's `resolve_date` (dateparser, RELATIVE_BASE). Everything is a verbatim
sentence span; contradictions are only ever candidates (confirmed=False).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from bot.core.dates import DateError, resolve_date
from bot.core.gazetteer import FOCUS, SURROUNDING_REGION, Gazetteer
from bot.core.models import CLAIM_DESCRIPTIONS, ClaimType, Contradiction, KeyPoint, RegionClaim, Span
from bot.extract.text import has_word, paragraphs, sentence_groups

# Trigger patterns per claim type, tried on a sentence, most specific first.
CLAIM_TRIGGERS: tuple[tuple[ClaimType, re.Pattern[str]], ...] = tuple(
    (claim, re.compile(pattern, re.IGNORECASE))
    for claim, pattern in (
        (
            ClaimType.LACKS_CONTROL,
            r"\b(?:(?:does|do|did) not|doesn't|don't|no longer) (?:\w+ ){0,2}(?:control|hold)"
            r"|\blost control\b|\bwithout control\b",
        ),
        (
            ClaimType.REJECTS_CLAIM,
            r"\billegitimate\b|\billegal\b|\bsham\b|\bnot recogni[sz]e|\brefuse[sd]? to recogni[sz]e",
        ),
        (ClaimType.ANNEXED, r"\bannex(?:ed|es|ing|ation)?\b"),
        (
            ClaimType.CLAIMS_SOVEREIGNTY,
            r"\bpart of (?:the )?Russia|\bregions? of the Russian Federation\b"
            r"|\bRussian territory\b|\bsovereignty\b",
        ),
        (
            ClaimType.WITHDREW,
            r"\bwithdr[ae]w(?:n|ing|s)?\b|\bwithdrawal\b|\bpull(?:ed|ing|s)? (?:\w+ ){0,3}out\b"
            r"|\bretreat(?:ed|ing|s)?\b",
        ),
        (
            ClaimType.RECAPTURED,
            r"\brecaptur\w*|\bretak(?:e|en|es|ing)\b|\bretook\b|\bliberated\b|\bregain\w*"
            r"|\bpush(?:ed|ing)? (?:\w+ ){0,3}(?:forces|troops) (?:out of|from)\b|\bcaptur(?:ed|es|ing)\b|\bseized\b",
        ),
        (ClaimType.OCCUPIED, r"\b(?:re)?occup(?:ied|ation|ying|y)\b"),
        (ClaimType.GOAL, r"\bliberat(?:e|ion)\b|\baims? to\b|\bgoal\b|\bplans? to (?:take|seize|capture)\b"),
        (ClaimType.CONTROLS, r"\bunder (?:the )?control\b|\bcontrol(?:s|led)?\b|\bmaintain(?:s|ed)?\b"),
        (
            ClaimType.SHELLING,
            r"\bshell(?:ed|ing|s)\b|\bstrikes?\b|\bstruck\b"
            r"|(?<!anti-tank )(?<!anti-aircraft )(?<!ballistic )\bmissiles?\b|\bdrones?\b|\bartillery\b"
            r"|\bbomb\w*|\battacks? on\b|\bcame under (?:\w+ ){0,2}(?:attack|fire)\b",
        ),
        (
            ClaimType.FIGHTING,
            r"\bfight\w*\b(?! for (?:its|their|our|his|her) (?:survival|existence|freedom|independence|lives))"
            r"|\bbreak(?:ing|s)? through\b|\bbattles?\b|\bcombat\b|\bclash\w*|\boffensive\b|\bcounteroffensive\b"
            r"|\bstorm(?:s|ed|ing)?\b|\bassaults?\b|\bpush(?:es|ed)? to (?:take|capture|seize)\b",
        ),
        (ClaimType.CONTESTED, r"\bcontested\b|\bdisputed\b|\bfront ?lines?\b"),
    )
)


def sentence_triggers(sentence: str) -> dict[ClaimType, list[re.Match[str]]]:
    """The trigger words of each claim type in a sentence, most specific type first; words
    already read as a more specific type are not read again ("does not maintain military
    control" is lacks_control, not also controls)."""
    out: dict[ClaimType, list[re.Match[str]]] = {}
    taken: list[tuple[int, int]] = []
    for claim, pattern in CLAIM_TRIGGERS:
        matches = [m for m in pattern.finditer(sentence) if not any(m.start() < b and a < m.end() for a, b in taken)]
        if matches:
            out[claim] = matches
            taken.extend(m.span() for m in matches)
    return out


# What a place is named for, read from the words just before it. A title ("the leader of
# Chechnya", "the governor of Kursk") names someone, not where something happens; a dateline
# ("KYIV, Ukraine (AP) —") names where the story was filed. A region outside Ukraine is a claim's
# place only after a word of location ("in Kursk", "into the Belgorod region", "near Bryansk"):
# elsewhere it is most often a government's seat ("Moscow said") or someone's title.
TITLE_BEFORE_RE = re.compile(
    r"\b(?:leader|governor|head|mayor|president|ruler|chief|official|authorit(?:y|ies)|people|residents?"
    r"|parliament|government|administration|envoy|ambassador|representative)s?\s+of\s+(?:the\s+)?$",
    re.IGNORECASE,
)
LOCATIVE_BEFORE_RE = re.compile(
    r"\b(?:in|into|inside|near|around|at|across|toward|towards|outside|over|through|on|from|to|within"
    r"|(?:region|province|oblast|republic|city|town|village|border)s?\s+(?:of|with))"
    r"\s+(?:the\s+)?(?:(?:Russian|Russia's|Belarusian|Moldovan|border|western|southern|northern|eastern)\s+)?$",
    re.IGNORECASE,
)


# Words before a city that put what happens around it, not in it ("halted at the gates of Kyiv",
# "villages around the Ukrainian capital Kyiv", "suburban areas north of Kyiv").
AROUND_BEFORE_RE = re.compile(
    r"\b(?:around|near|outside|surrounding|(?:outskirts|gates|suburbs|environs|approaches|edges?)\s+(?:of|to)"
    r"|(?:north|south|east|west)(?:-?(?:east|west))?(?:ern)?\s+(?:of|outskirts\s+of))"
    r"\s+(?:the\s+)?(?:(?:Ukrainian|Russian|Belarusian)\s+)?(?:capital(?:\s+city)?,?\s+)?(?:of\s+)?$",
    re.IGNORECASE,
)


BEFORE_REACH = 60  # characters before a mention read for what it is named for


def _words_before(text: str, sentence_start: int, mention: RegionMention) -> str:
    return text[max(sentence_start, mention.start - BEFORE_REACH) : mention.start]


def _surroundings(text: str, sentence_start: int, mention: RegionMention) -> RegionMention:
    """A city that is a region of its own, named as where something happens around it, stands
    for the region around it (SURROUNDING_REGION); any other mention is returned as it is."""
    around = _surrounding_region(mention)
    if around is None or not AROUND_BEFORE_RE.search(_words_before(text, sentence_start, mention)):
        return mention
    return dataclasses.replace(mention, codes=(around,), place=None)


def _surrounding_region(mention: RegionMention) -> str | None:
    """The region around a city that is a region of its own (Kyiv -> Kyiv Oblast), else None."""
    return SURROUNDING_REGION.get(mention.codes[0]) if len(mention.codes) == 1 else None


# A capital after these words is its government, a party and not a place ("take up arms against
# Kyiv", "talks with Moscow").
GOVERNMENT_SEATS = frozenset({"UA-30", "RU-MOW", "BY-HM"})
PARTY_BEFORE_RE = re.compile(r"\b(?:against|with|by)\s+$", re.IGNORECASE)


# A trigger followed by these words is about the region around the capital the sentence names
# ("failed to capture Kyiv and withdrew from around the capital").
AROUND_THE_CAPITAL_RE = re.compile(
    r"\s+(?:\w+\s+){0,2}?(?:from\s+)?(?:around|outside|near|(?:the\s+)?(?:outskirts|suburbs|gates|environs)\s+of)"
    r"\s+the\s+(?:\w+\s+)?capital\b",
    re.IGNORECASE,
)


def _around_the_capital(
    mention: RegionMention, matches: Sequence[re.Match[str]], sentence: Sentence
) -> tuple[str, ...]:
    """The mention's regions, with a capital named before a trigger of "around the capital"
    read as the region around it (SURROUNDING_REGION)."""
    around = _surrounding_region(mention)
    if around is None or mention.place is not None:
        return mention.codes
    if mention.start - sentence.start < max(m.start() for m in matches) and any(
        AROUND_THE_CAPITAL_RE.match(sentence.text, m.end()) for m in matches
    ):
        return (around,)
    return mention.codes


def _names_a_place(text: str, sentence_start: int, mention: RegionMention) -> bool:
    """Whether a region mention can be what a claim is about (see the patterns above)."""
    before = _words_before(text, sentence_start, mention)
    if TITLE_BEFORE_RE.search(before):
        return False
    if mention.codes[0] in GOVERNMENT_SEATS and PARTY_BEFORE_RE.search(before):
        return False
    if mention.start == sentence_start and mention.text.isupper() and len(mention.text) > 2:
        return False  # a dateline
    if not all(code.startswith(f"{FOCUS}-") for code in mention.codes):
        return bool(LOCATIVE_BEFORE_RE.search(before))
    return True


RUSSIA_RE = re.compile(r"\b(Russia|Russian|Kremlin|Moscow|Putin)\b")
UKRAINE_RE = re.compile(r"\b(Ukraine|Ukrainian|Kyiv's|Zelensky\w*)\b")
# Claim types where the actor is the one taking ground back (Ukraine in this war) by default.
_UKRAINE_DEFAULT = {ClaimType.RECAPTURED}
DATE_RE = re.compile(
    r"\b(?:(?i:in|on|since|during|by|early|late|earlier|last) )?(?:"
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
    r"(?: \d{1,2})?(?:,? \d{4})?"
    r"|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
    r"|(?:this|last) (?:week|month|year)|yesterday|today)\b"
)
# Phrases pointing back at regions named just before ("Foreign governments said the move is illegitimate").
ANAPHORA_RE = re.compile(
    r"\b(?:the|these|those|this) (?:move|territories|areas|regions|annexations?|referend(?:um|ums|a))\b", re.IGNORECASE
)
# Incompatible claim pairs: one region cannot be both, said by two parties or at two times.
INCOMPATIBLE: frozenset[frozenset[ClaimType]] = frozenset(
    frozenset(pair)
    for pair in (
        (ClaimType.CONTROLS, ClaimType.LACKS_CONTROL),
        (ClaimType.CONTROLS, ClaimType.WITHDREW),
        (ClaimType.CONTROLS, ClaimType.OCCUPIED),
        (ClaimType.ANNEXED, ClaimType.REJECTS_CLAIM),
        (ClaimType.CLAIMS_SOVEREIGNTY, ClaimType.REJECTS_CLAIM),
        (ClaimType.CLAIMS_SOVEREIGNTY, ClaimType.LACKS_CONTROL),
        (ClaimType.CONTROLS, ClaimType.RECAPTURED),
    )
)


# How sure a drafted claim is, from what the sentence shows: how near its trigger word stands to
# the place (the claim is about the place the trigger governs, most often the nearest), whether
# the trigger is what would, could or may happen (a modal word just before it), how many kinds
# of claim the sentence mixes, and
# how many sentences of the article make the same claim about the same region. Chosen on the
# dev split (tests/extract and bench/attributions.py measure it); drafts keep what clears the threshold.
HYPOTHETICAL_RE = re.compile(r"\b(?:would|could|may|might|if|any|should|whether|unless)\b", re.IGNORECASE)
# Words of a plan or an aim before a trigger: what someone plans to do has not happened ("aim to
# launch an offensive", "planned to forge a corridor"). Not for goal claims, which are the plans.
PLAN_RE = re.compile(
    r"\b(?:aims?|aimed|plans?|planned|planning|intends?|intended|seeks?|sought|wants?|wanted|preparing|prepares?)"
    r"\s+(?:to|for)\b",
    re.IGNORECASE,
)
# A sentence whose subject is an act and whose verb is a modal: "Taking Mariupol would ...",
# "Capturing it would link ...".
ACT_WOULD_RE = re.compile(r"^[A-Z]\w+ing\b[^,;]{0,60}?\b(?:would|could|might|will)\b")
NEAR, FAR = 40, 120  # characters between trigger and place
MODAL_REACH = 50  # characters before a trigger where a modal word makes it hypothetical
CONFIDENCE_BY_DISTANCE = ((NEAR, 0.9), (FAR, 0.7))
CONFIDENCE_ELSE = 0.6  # farther, or a place only pointed back at ("the move", "these areas")
HYPOTHETICAL_FACTOR = 0.5
MIXED_TYPES, MIXED_FACTOR = 3, 0.85
SUPPORT_BONUS = 0.15  # for each other sentence making the same claim
MIN_CLAIM_CONFIDENCE = 0.5


def claim_confidence(distance: int | None, hypothetical: bool, types: int) -> float:
    """A claim's confidence from its own sentence (support across sentences is added after)."""
    score = next((c for limit, c in CONFIDENCE_BY_DISTANCE if distance is not None and distance <= limit), None)
    score = CONFIDENCE_ELSE if score is None else score
    if hypothetical:
        score *= HYPOTHETICAL_FACTOR
    if types >= MIXED_TYPES:
        score *= MIXED_FACTOR
    return score


# What may stand between two places named as one list ("Donetsk, Luhansk and Kharkiv regions",
# "from Chernihiv and Sumy and from around Kyiv", "Donetsk region and the town of Tavriya, in the
# Kherson region").
COORDINATION_RE = re.compile(
    r"(?:\s|,|\band\b|\bor\b|\bas well as\b|\bthe\b|\b(?:from|in|into|around|near|of)\b"
    r"|\b(?:region|oblast|province|town|city|village|port|settlement)s?\b)*"
)
# Marks between a trigger and a place that start another clause: each counts as this many characters.
CLAUSE_MARK_RE = re.compile(r"[,;:()\u2014\u2013]|\s-\s")
CLAUSE_PENALTY = 40


def _distance(text: str, a: tuple[int, int], b: tuple[int, int]) -> int:
    """Characters between two spans of the text, each clause mark between them counted as
    CLAUSE_PENALTY more: a trigger is about the place in its own clause before a nearer one
    behind a comma ("after the push to take Kyiv, the Kremlin declared its goal was ... Donbas")."""
    left, right = (a[1], b[0]) if a[0] <= b[0] else (b[1], a[0])
    if right <= left:
        return 0
    return right - left + CLAUSE_PENALTY * len(CLAUSE_MARK_RE.findall(text, left, right))


# What starts another clause between two triggers: the later trigger then governs the places
# after it ("a counteroffensive that succeeded in pushing Russian forces from Kyiv" pushed them
# out of Kyiv; it did not fight there).
CLAUSE_START_RE = re.compile(r"[,;:]|\b(?:that|which|who|where|when|after|before|while|as)\b", re.IGNORECASE)


def _blocked(match: re.Match[str], others: Sequence[re.Match[str]], sentence: Sentence, place: int) -> bool:
    """Whether another claim type's trigger stands between this trigger and a place after it (its
    offset in the sentence), in a later clause (see CLAUSE_START_RE). A place before its triggers
    is what all of them are about ("the villages had been retaken after heavy fighting")."""
    if place < match.start():
        return False
    return any(
        match.end() <= other.start()
        and other.end() <= place
        and CLAUSE_START_RE.search(sentence.text, match.end(), other.start())
        for other in others
    )


def _bound(
    matches: Sequence[re.Match[str]],
    others: Sequence[re.Match[str]],
    text: str,
    sentence: Sentence,
    mentions: Sequence[RegionMention],
) -> set[int]:
    """Indices of the mentions a trigger of the claim type is about: for each trigger, the nearest
    place named in the sentence (`_distance`), with the places listed together with it. "Heavy
    fighting in Donetsk, as Russia seeks to advance towards Izium" is fighting in Donetsk, not in
    Izium, which the sentence names for another reason; nor is it about a place that another
    claim's trigger in a later clause stands before (`_blocked`). A trigger nearer to words pointing back
    ("control in the areas, as shown by ... Kherson") than to any place is about all the places of
    the sentence; a place only pointed back at from an earlier sentence is always bound."""
    inside = [i for i, m in enumerate(mentions) if sentence.start <= m.start < sentence.end]
    bound = set(range(len(mentions))) - set(inside)
    if not inside:
        return bound
    groups: list[list[int]] = []
    for i in sorted(inside, key=lambda i: mentions[i].start):
        if groups and COORDINATION_RE.fullmatch(text, mentions[groups[-1][-1]].end, mentions[i].start):
            groups[-1].append(i)
        else:
            groups.append([i])
    pointers = [(sentence.start + p.start(), sentence.start + p.end()) for p in ANAPHORA_RE.finditer(sentence.text)]
    for match in matches:
        trigger = (sentence.start + match.start(), sentence.start + match.end())
        closest_place = min(_distance(text, trigger, (mentions[i].start, mentions[i].end)) for i in inside)
        if any(_distance(text, trigger, p) < closest_place for p in pointers):
            bound.update(inside)
            continue
        free = [g for g in groups if not _blocked(match, others, sentence, mentions[g[0]].start - sentence.start)]
        if not free:
            continue
        gaps = [min(_distance(text, trigger, (mentions[i].start, mentions[i].end)) for i in g) for g in free]
        nearest = min(gaps)
        bound.update(i for g, gap in zip(free, gaps, strict=True) if gap == nearest for i in g)
    return bound


CLAUSE_END_RE = re.compile(r"[,;]|\b(?:that|which|who|where|when)\b")


def _clause_end(sentence: str, start: int) -> int:
    """Where the clause running at `start` ends: at a relative word or a clause mark."""
    found = CLAUSE_END_RE.search(sentence, start)
    return found.start() if found else len(sentence)


def _trigger(
    claim: ClaimType, matches: Sequence[re.Match[str]], sentence: Sentence, mention: RegionMention
) -> tuple[int | None, bool]:
    """(characters between the place and the nearest trigger of the claim type, or None when the
    place is not in the sentence; whether it is what would, could or is planned to happen: a modal
    word or a plan just before the trigger, a modal between the trigger and a place after it
    ("control over the south that could provide access to Transnistria"), or a trigger in the
    clause of an act that is a modal's subject ("Capturing it would link", but not "... the Crimea
    region that Moscow annexed"))."""
    if not matches:
        return None, False
    inside = sentence.start <= mention.start < sentence.end
    local = mention.start - sentence.start

    def gap(m: re.Match[str]) -> int:
        return max(0, local - m.end(), m.start() - (mention.end - sentence.start)) if inside else 0

    nearest = min(matches, key=gap)
    before = sentence.text[max(0, nearest.start() - MODAL_REACH) : nearest.start()]
    after = sentence.text[nearest.end() : local] if inside else ""  # empty when the place comes first
    act = ACT_WOULD_RE.match(sentence.text)
    hypothetical = (
        bool(HYPOTHETICAL_RE.search(before) or HYPOTHETICAL_RE.search(after))
        or (claim is not ClaimType.GOAL and bool(PLAN_RE.search(before)))
        or (act is not None and nearest.start() < _clause_end(sentence.text, act.end()))
    )
    return (gap(nearest) if inside else None), hypothetical


@dataclass(frozen=True, slots=True)
class Sentence:
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class RegionMention:
    start: int
    end: int
    text: str
    codes: tuple[str, ...]
    place: str | None


@functools.lru_cache(maxsize=4)
def sentences(text: str) -> tuple[Sentence, ...]:
    """Sentences as exact spans of the text (from the first to the last token of each); cached
    like `paragraphs`, for claims and key points of one article."""
    out: list[Sentence] = []
    for paragraph in paragraphs(text):
        for members in sentence_groups(paragraph.tokens).values():
            tokens = [paragraph.tokens[i] for i in members]
            if any(has_word(t.text) for t in tokens):
                start, end = tokens[0].start, tokens[-1].end
                out.append(Sentence(start, end, text[start:end]))
    return tuple(out)


def region_mentions(text: str, gazetteer: Gazetteer, start: int = 0, end: int | None = None) -> list[RegionMention]:
    """Known region and town names in text[start:end]: runs of capitalized words, longest match first."""
    end = len(text) if end is None else end
    out: list[RegionMention] = []
    words = [m for m in re.finditer(r"[^\W\d_][\w'’-]*", text[start:end])]
    i = 0
    while i < len(words):
        if not words[i].group()[0].isupper():
            i += 1
            continue
        found = None
        for length in (3, 2, 1):
            group = words[i : i + length]
            if len(group) < length or not all(
                w.group()[0].isupper() or w.group() in ("oblast", "region") for w in group
            ):
                continue
            if any(group[k + 1].start() - group[k].end() > 1 for k in range(len(group) - 1)):
                continue
            phrase = text[start + group[0].start() : start + group[-1].end()]
            match = gazetteer.lookup(phrase)
            if match is not None:
                found = (length, phrase, match)
                break
        if found is None:
            i += 1
            continue
        length, phrase, match = found
        following = words[i + length] if i + length < len(words) else None
        if (
            match.place
            and following is not None
            and following.group()[0].isupper()
            and following.start() - words[i + length - 1].end() <= 1
        ):
            i += length + 1  # a town name starting a longer name ("Vladimir Putin") is no mention
            continue
        s = start + words[i].start()
        out.append(RegionMention(s, s + len(phrase), phrase, tuple(r.code for r in match.regions), match.place))
        i += length
    return out


@functools.lru_cache(maxsize=4)
def sentence_mentions(text: str, gazetteer: Gazetteer) -> tuple[tuple[RegionMention, ...], ...]:
    """The region mentions of each of `sentences(text)`, cached: claims and key points both ask."""
    return tuple(tuple(region_mentions(text, gazetteer, s.start, s.end)) for s in sentences(text))


def find_date(sentence: str, published: dt.date) -> tuple[dt.date, str, str] | None:
    """(date, precision, text as written) of the first date phrase in a sentence not after publication."""
    for match in DATE_RE.finditer(sentence):
        try:
            resolved = resolve_date(match.group(), published)
        except DateError:
            continue
        if resolved.date <= published:
            return resolved.date, resolved.precision, match.group()
    return None


def _actor(sentence: str, claim: ClaimType) -> str:
    russia = RUSSIA_RE.search(sentence)
    ukraine = UKRAINE_RE.search(sentence)
    if claim in _UKRAINE_DEFAULT and ukraine:
        return "Ukraine"
    if russia and ukraine:
        return "Russia" if russia.start() < ukraine.start() else "Ukraine"
    if ukraine and not russia:
        return "Ukraine"
    return "Russia"


@dataclass(frozen=True, slots=True)
class Assertion:
    """Who asserts what lies in [start, end): a speaker id (from an attribution), and a relay."""

    start: int
    end: int
    speaker: str
    via: str | None = None


def _owner(
    assertions: Sequence[Assertion], sentence: Sentence, mention: RegionMention, matches: Sequence[re.Match[str]]
) -> Assertion | None:
    """The statement a claim sits in: the one holding the place's mention, or, for a place only
    pointed back at from an earlier sentence ("Foreign governments said the move is
    illegitimate"), the one holding the claim's trigger."""
    if sentence.start <= mention.start < sentence.end:
        spans = [(mention.start, mention.end)]
    else:
        spans = [(sentence.start + m.start(), sentence.start + m.end()) for m in matches]
    return next((a for a in assertions for s, e in spans if a.start <= s and e <= a.end), None)


def region_claims(
    text: str,
    gazetteer: Gazetteer,
    published: dt.date,
    assertions: Sequence[Assertion] = (),
    skip: Sequence[tuple[int, int]] = (),
    min_confidence: float = MIN_CLAIM_CONFIDENCE,
) -> list[RegionClaim]:
    """One claim per (sentence, region or town, claim type) found; asserted by the speaker whose
    attribution content holds the region mention, else by the article. Each carries its
    confidence; those under `min_confidence` are left out."""
    out: list[RegionClaim] = []
    seen: set[tuple[str, str, ClaimType, str | None]] = set()
    recent: list[RegionMention] = []  # the regions of the last sentences that named some
    since = 0
    for sentence, named in zip(sentences(text), sentence_mentions(text, gazetteer), strict=True):
        if any(a < sentence.end and sentence.start < b for a, b in skip):
            continue  # photo captions are not the article's claims
        mentions = [_surroundings(text, sentence.start, m) for m in named if _names_a_place(text, sentence.start, m)]
        if mentions:
            recent, since = mentions, 0
        else:
            since += 1
            if not (recent and since <= 2 and ANAPHORA_RE.search(sentence.text)):
                continue
            mentions = recent  # "the move", "the areas": the regions just named
        triggers = sentence_triggers(sentence.text)
        types = list(triggers)
        if not types:
            continue
        date = find_date(sentence.text, published)
        bound = {
            claim: _bound(
                triggers[claim], [m for c in types if c != claim for m in triggers[c]], text, sentence, mentions
            )
            for claim in types
        }
        for claim, mention in ((c, m) for c in types for i, m in enumerate(mentions) if i in bound[c]):
            distance, hypothetical = _trigger(claim, triggers[claim], sentence, mention)
            confidence = claim_confidence(distance, hypothetical, len(types))
            for code in _around_the_capital(mention, triggers[claim], sentence):
                key = (sentence.text, code, claim, mention.place)
                if key in seen:
                    continue
                seen.add(key)
                owner = _owner(assertions, sentence, mention, triggers[claim])
                out.append(
                    RegionClaim(
                        id=f"c{len(out) + 1}",
                        region=code,
                        claim=claim,
                        actor=_actor(sentence.text, claim),
                        asserted_by=owner.speaker if owner else "article",
                        evidence=Span(sentence.start, sentence.end, sentence.text),
                        date=date[0] if date else None,
                        date_precision=date[1] if date else None,
                        date_text=date[2] if date else None,
                        via=owner.via if owner else None,
                        place=mention.place,
                        confidence=confidence,
                    )
                )
    return _supported(out, min_confidence)


def _supported(claims: list[RegionClaim], min_confidence: float) -> list[RegionClaim]:
    """Each claim's confidence raised by the other sentences making the same claim about the same
    region; the claims that clear `min_confidence`, renumbered."""
    support = Counter((c.region, c.claim) for c in claims)
    kept: list[RegionClaim] = []
    for c in claims:
        base = c.confidence if c.confidence is not None else 1.0
        confidence = round(min(1.0, base + SUPPORT_BONUS * (support[(c.region, c.claim)] - 1)), 2)
        if confidence >= min_confidence:
            kept.append(dataclasses.replace(c, id=f"c{len(kept) + 1}", confidence=confidence))
    return kept


def key_points(
    text: str,
    gazetteer: Gazetteer,
    attributed: Iterable[tuple[int, int]] = (),
    limit: int = 6,
    skip: Sequence[tuple[int, int]] = (),
) -> list[KeyPoint]:
    """Extractive key points: the lead sentence, then sentences naming regions or carrying an
    attribution, earlier first; each an exact sentence span of the text."""
    spans = list(attributed)
    scored: list[tuple[float, int, Sentence]] = []
    rank = 0  # position among eligible sentences: the headline and captions do not count
    for index, (sentence, named) in enumerate(zip(sentences(text), sentence_mentions(text, gazetteer), strict=True)):
        if any(a < sentence.end and sentence.start < b for a, b in skip):
            continue  # photo captions
        words = len(sentence.text.split())
        if words < 6 or words > 60 or sentence.text[-1:] not in '.!?"”':
            continue  # headlines, datelines and run-on transcripts make poor key points
        regions = len(named)
        attributed_here = any(a < sentence.end and sentence.start < b for a, b in spans)
        score = 2.0 * min(regions, 2) + 1.0 * attributed_here + 4.0 / (1 + rank)  # the lead matters most
        rank += 1
        scored.append((score, index, sentence))
    best = sorted(scored, key=lambda s: (-s[0], s[1]))[:limit]
    return [
        KeyPoint(f"k{n}", Span(s.start, s.end, s.text))
        for n, (_, _, s) in enumerate(sorted(best, key=lambda s: s[1]), start=1)
    ]


def candidate_contradictions(
    claims: Sequence[RegionClaim], names: Mapping[str, str] | None = None, place_names: Mapping[str, str] | None = None
) -> list[Contradiction]:
    """Pairs of claims about one region whose types cannot both hold (or the same type, negated by
    another party's denial), from different asserters or different sentences; never confirmed.
    `names` gives asserters' display names ("article" -> the outlet), `place_names` regions'."""
    names = names or {}
    place_names = place_names or {}

    def says(claim: RegionClaim) -> str:
        who = names.get(claim.asserted_by, claim.asserted_by)
        return f"{who}: {claim.actor} {CLAIM_DESCRIPTIONS[claim.claim]} it"

    out: list[Contradiction] = []
    seen: set[tuple[str, str]] = set()
    for i, a in enumerate(claims):
        for b in claims[i + 1 :]:
            if a.region != b.region or a.evidence == b.evidence:
                continue
            if frozenset((a.claim, b.claim)) not in INCOMPATIBLE:
                continue
            key = (a.evidence.text, b.evidence.text)
            if key in seen:
                continue
            seen.add(key)
            where = a.place or place_names.get(a.region, a.region)
            why = f"{where}: {says(a)}; {says(b)}"
            out.append(
                Contradiction(
                    id=f"x{len(out) + 1}", a=a.evidence, b=b.evidence, why=why, regions=(a.region,), confirmed=False
                )
            )
    return out
