"""Machine drafts of digests: attributions -> quotes with canonical speakers, region claims, key
points and candidate contradictions, written in the curated digest-file format for review.

A draft file carries `review: draft` and, in a header comment, the SHA-256 of what the drafter
wrote (`# drafter-sha256: ...`, over the YAML after the header and the text file). A new draft
replaces an existing file only when that file is still an untouched machine draft (its review is
`draft` AND its content hash still equals the recorded one) or ingestion's empty skeleton
(`review: none`, no curated section). A file a person promoted
(`review: reviewed`), edited (hash differs) or wrote by hand (no hash) is never overwritten.
A draft in which an editor has decided items is redrafted by merging: the decisions stay, the
undecided rest is drafted anew (`merge_redraft`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml
from rapidfuzz.distance import OSA

from bot.core.digest_files import (
    SPEAKERS_FILE,
    DigestFileError,
    ValidationContext,
    dump_digest,
    parse_yaml,
    read_digest,
    slugify,
)
from bot.core.gazetteer import Gazetteer
from bot.core.models import (
    ArticleDigest,
    ArticleMeta,
    ItemState,
    KeyPoint,
    Quote,
    QuoteKind,
    RegionClaim,
    Review,
    Span,
)
from bot.core.speakers import Speaker, SpeakerRegistry
from bot.core.textnorm import fold
from bot.extract.attributions import Attribution, extract_attributions
from bot.extract.claims import (
    GOVERNMENT_SEATS,
    Assertion,
    candidate_contradictions,
    find_date,
    key_points,
    region_claims,
)
from bot.extract.text import has_word, word_count

HASH_RE = re.compile(r"^# drafter-sha256: ([0-9a-f]{64})\n", re.MULTILINE)
DRAFT_LABEL = "automatic, not reviewed"
PRONOUNS = frozenset(
    ["he", "she", "they", "it", "we", "i", "him", "her", "them", "his", "its", "their", "who", "which"]
)
# A described group ("US President Joe Biden and other Western leaders", "analysts") is a
# source of its own, not the nearest named speaker whose role fits.
GROUP_RE = re.compile(r"\b(?:and|other|several|some|many)\b|\b\w+(?:ers|ists|ials|ians|ents)\b")
PERSONAL = frozenset(["he", "she", "him", "her", "his", "i"])
NON_PERSONAL = frozenset(["it", "its", "which"])
# Sentence-initial capitals that are no names ("People said...").
GENERIC = frozenset(
    re.findall(
        r"\w+",
        "people some many most others critics supporters observers everyone someone nobody officials "
        "sources analysts experts residents witnesses authorities reports reporters voters americans "
        "ukrainians russians europeans",
    )
)
DETERMINERS = ("the ", "a ", "an ", "this ", "that ", "one ", "another ")
TITLES = re.compile(
    r"^(?:(?:President|Prime Minister|Minister|Foreign Minister|Spokesman|Spokesperson|Gov\.|Sen\.|Rep\.|"
    r"Mr\.|Mrs\.|Ms\.|Dr\.|Gen\.|General|Kremlin spokesman|Russian President|Ukrainian President)\s+)+"
)


# Descriptions that name a role can stand as a (draft) speaker of their own; "people" cannot.
ROLE_NOUNS = re.compile(
    r"\b(officials?|spokes\w+|minist\w+|presidents?|governors?|mayors?|commanders?|military|army|police|"
    r"analysts?|experts?|sources?|witness\w*|residents?|journalists?|correspondents?|diplomats?|"
    r"ambassadors?|generals?|chiefs?|heads?|leaders?|agenc(?:y|ies)|services?|committees?|councils?"
    r"|governments?|embass(?:y|ies)|lawmakers?|legislators?)\b",
    re.IGNORECASE,
)
# An appositive that lists members is no name of the source ("Foreign governments, including the
# United States").
_INCLUDING = re.compile(r"^(?:including|such as|among them|like|notably|led by)\b", re.IGNORECASE)


# Words that open a title or description before a name ("Luhansk regional governor Serhiy
# Gaidai", "NATO Secretary General Mark Rutte"): the name is what follows the last of them.
TITLE_WORDS = frozenset(
    re.findall(
        r"\w+",
        "president prime minister ministers foreign defence defense interior deputy secretary general "
        "governor spokesman spokeswoman spokesperson chancellor senator ambassador envoy commander chief "
        "mayor head leader adviser advisor director chairman chairwoman speaker official officer "
        "lieutenant colonel major captain sergeant admiral marshal secretary-general pope king queen "
        "prince premier vice state regional military army navy intelligence security council",
    )
)
# What a source can never be: a document, a poll, figures; and a bare adjective of nationality.
NOT_SPEAKERS = re.compile(
    r"^(?i:(?:the\s+)?(?:polls?|surveys?|reports?|documents?|data|figures|images?|videos?|footage|stud(?:y|ies)"
    r"|statistics|records?|maps?|analysis|photos?|pictures?|evidence|numbers|results?))$"
    r"|^(?:Ukrainian|Russian|American|British|European|German|French|Polish|Belarusian|Chinese|Western"
    r"|Moldovan|Turkish|Italian|Georgian|Chechen|Iranian|Israeli|Japanese|Canadian)$"
)
_NAME_WORD = re.compile(r"^[A-Z][\w'’.-]*$")
# The last word of a name: capitalised, or a particle joined to one ("al-Ississ", "bin-Salman").
_NAME_END = re.compile(r"^(?:[A-Z]|(?:al|el|ad|ash|bin|ibn|abu|de|di|da|van|von)[-’'][A-Z])")
# A person named after a title ("Turkish President Tayyip Erdogan", "said Chancellor Olaf
# Scholz"), where the text need not quote them: what a later "he" or "she" may point back to.
TITLED_PERSON = re.compile(
    rf"\b(?i:{'|'.join(sorted(TITLE_WORDS, key=len, reverse=True))})\s+((?:[A-Z][\w'’-]+\s+){{1,3}}[A-Z][\w'’-]+)"
)
# Roles only a person holds ("Ukraine's president", "Mariupol mayor"), and how far after such
# a description the person it stands for may be named.
PERSON_ROLE = re.compile(
    r"\b(?:president|prime minister|mayor|governor|chancellor|minister|spokes(?:man|woman|person)"
    r"|(?:police|army|intelligence) chief|commander)\b",
    re.IGNORECASE,
)
NEXT_NAME_REACH = 300
# A source who asked not to be named stays unnamed.
ANONYMOUS = re.compile(r"\banonymity\b|\bnot authori[sz]ed\b|\bdeclined to be named\b|\basked not to be named\b")
# Capitalised words that are no part of a person's name.
_NOT_NAME_WORDS = frozenset(("the", "a", "an", "united", "states", "kingdom", "nations", "union", "federation"))
# A line with no closing punctuation (a live blog's headline or timestamp) opens a new entry: a
# pronoun after it does not point back past it.
_HEADING = re.compile(r"^(?!.*[.!?][”\"’)]?\s*$)\S.{0,150}$", re.MULTILINE)


# Adverbs that end a source's words in a sentence, not its name ("Russia instead will focus").
_TRAILING_ADVERB = re.compile(r"\s+(?:instead|also|too|however|meanwhile|reportedly|previously|now|still|already)$")


def _source_words(mention: str) -> str:
    return _TRAILING_ADVERB.sub("", mention)


def _line_start(text: str, position: int) -> int:
    return text.rfind("\n", 0, position) + 1


def _line_end(text: str, position: int) -> int:
    end = text.find("\n", position)
    return len(text) if end < 0 else end


def _line_of(text: str, position: int) -> str:
    return text[_line_start(text, position) : _line_end(text, position)]


def _opens_line(text: str, position: int) -> bool:
    return not text[_line_start(text, position) : position].strip()


def person_name(head: str) -> str:
    """The name in a mention with a title or description before it: "Luhansk regional governor
    Serhiy Gaidai" -> "Serhiy Gaidai"; a mention with none is returned as it is."""
    words = head.split()
    titles = [i for i, w in enumerate(words) if w.lower().strip(",.") in TITLE_WORDS or w[:1].islower()]
    last = titles[-1] if titles else -1
    rest = words[last + 1 :]
    if last < 0 or words[last].lower() in ("of", "for", "in", "at", "from"):  # "leader of Chechnya": no name
        return head
    if 1 <= len(rest) <= 4 and all(_NAME_WORD.match(w) for w in rest):
        return " ".join(rest)
    return head


@dataclass
class DraftResult:
    digest: ArticleDigest
    new_speakers: list[Speaker] = field(default_factory=list)


def _fold_mention(mention: str) -> str:
    lower = mention.strip()
    for determiner in DETERMINERS:
        if lower.lower().startswith(determiner):
            return lower[len(determiner) :]
    return lower


def _is_named(mention: str) -> bool:
    """A proper-name mention ("Dmitry Peskov", "Olena Kovalenko, a teacher", "Reuters"), not a
    pronoun or a description ("a European official"): a name ends with a capitalized word."""
    head = mention.split(",")[0].strip(" .")
    words = head.split()
    return bool(words) and head.lower() not in PRONOUNS | GENERIC and bool(_NAME_END.match(words[-1]))


def _same_surname(name: str, matched: str) -> bool:
    a, b = fold(name).split(), fold(matched).split()
    return bool(a and b) and len(a[-1]) > 3 and OSA.normalized_similarity(a[-1], b[-1]) >= 0.8


def _stems(text: str) -> set[str]:
    """Six-letter prefixes of the longer words: "spokesperson" and "spokesman" share "spokes"."""
    return {w[:6] for w in re.findall(r"[a-z]{4,}", text.lower())} - {"former", "senior", "official"}


class SpeakerResolver:
    """Maps source mentions to canonical speakers: registry names and aliases first, then pronouns
    and descriptions to the nearest fitting named speaker of the article, else a new draft speaker."""

    def __init__(self, registry: SpeakerRegistry, gazetteer: Gazetteer | None = None):
        self.registry = registry
        self.gazetteer = gazetteer
        self.new: dict[str, Speaker] = {}

    def _is_place(self, name: str) -> bool:
        """A region or town is no speaker ("Mariupol tells us"), unless it is a capital standing for
        its government (Kyiv, Moscow, Minsk), which the registry lists under the government."""
        match = self.gazetteer.lookup(name) if self.gazetteer else None
        return match is not None and not {r.code for r in match.regions} & GOVERNMENT_SEATS

    def known(self, mention: str) -> Speaker | None:
        head = _fold_mention(mention.split(",")[0]).strip(" .")
        name = person_name(TITLES.sub("", head))
        queries = (mention, _fold_mention(mention), TITLES.sub("", _fold_mention(mention)), name)
        for query in dict.fromkeys(queries):
            if len(query) < 3 and query.lower() in PRONOUNS:
                continue
            match = self.registry.resolve(query)
            if match and (match.exact or (_is_named(mention) and _same_surname(name, match.matched))):
                # A near match only for a name whose last word is the registry name's, give or take
                # a spelling ("Zelenskyy"): a partial match would give "US Secretary of State Antony
                # Blinken" to the United States and "Chinese president" to Vladimir Putin.
                return match.speaker
        key = fold(TITLES.sub("", _fold_mention(mention.split(",")[0])))
        for speaker in self.new.values():  # "Konashenkov" after "Igor Konashenkov"
            if key and key in (fold(speaker.name), fold(speaker.name.split()[-1])):
                return speaker
        return None

    def add_draft(self, mention: str) -> Speaker:
        # "Olena Kovalenko, a local teacher": the name before an appositive, which is the role;
        # "the leader of Chechnya, Ramzan Kadyrov": the name is the appositive, the head the role.
        head, _, appositive = mention.partition(",")
        appositive = appositive.partition(",")[0].strip(" ,.")  # "..., Ramzan Kadyrov, whose forces ..."
        if _INCLUDING.match(appositive):
            appositive = ""
        described = not _is_named(head) or " of " in f" {head} "
        if described and appositive and _is_named(appositive) and len(appositive.split()) <= 4:
            head, appositive = appositive, head
        name = person_name(TITLES.sub("", _fold_mention(head)).strip(" ,.")) or mention
        role = _fold_mention(appositive.strip(" ,.")) if _is_named(head) else ""
        speaker_id = slugify(name) or "unknown-speaker"
        if speaker_id in self.registry:
            return self.registry.by_id[speaker_id]
        if speaker_id not in self.new:
            words = name.split()
            kind = "person" if 2 <= len(words) <= 3 and all(w[:1].isupper() for w in words) else "organisation"
            self.new[speaker_id] = Speaker(id=speaker_id, name=name, kind=kind, role=role, draft=True)
        return self.new[speaker_id]

    def _people_mentioned(self, text: str) -> tuple[list[tuple[int, str]], list[tuple[int, str, set[str]]]]:
        """(position, name) of each person the text names, quoted or not: titled names ("Turkish
        President Tayyip Erdogan"), and the surnames of those and of the registry's people; and
        the titled ones with the stems of their title ("chines", "presid")."""
        titled: list[tuple[int, str, set[str]]] = []
        for m in TITLED_PERSON.finditer(text):
            name = person_name(m.group(1))
            words = name.split()
            if 2 <= len(words) <= 3 and not any(w.lower() in TITLE_WORDS | _NOT_NAME_WORDS for w in words):
                at = m.start(1) + m.group(1).index(name)
                line = text.rfind("\n", 0, at) + 1
                titled.append((at, name, _stems(" ".join(text[max(line, at - 60) : at].split()[-4:]))))
        surnames = {name.split()[-1]: name for _, name, _ in titled}
        for speaker in self.registry.by_id.values():
            if speaker.kind == "person":
                surnames.setdefault(speaker.name.split()[-1], speaker.name)
        people = [(at, name) for at, name, _ in titled]
        for surname, name in surnames.items():
            if len(surname) < 4:
                continue
            for m in re.finditer(rf"\b{re.escape(surname)}\b", text):
                if not any(at <= m.start() < at + len(n) for at, n, _ in titled):  # not the titled name itself
                    people.append((m.start(), name))
        return sorted(people), titled

    def _speaker(self, found: str | Speaker) -> Speaker:
        """A person found by name (made a draft speaker if new), or a speaker already resolved."""
        return found if isinstance(found, Speaker) else self.known(found) or self.add_draft(found)

    def resolve_all(self, text: str, attributions: Sequence[Attribution]) -> list[Speaker | None]:
        """One speaker per attribution (None when it has no source)."""
        named: list[tuple[int, Speaker]] = []  # (position, speaker) of named mentions
        people, titled = self._people_mentioned(text)
        entries = [m.start() for m in _HEADING.finditer(text)]
        first: list[Speaker | None] = []
        for att in attributions:
            if att.source is None:
                first.append(None)
                continue
            mention = _source_words(text[att.source[0] : att.source[1]])
            if NOT_SPEAKERS.match(mention.strip(" ,.")):
                first.append(None)  # a poll, a document, an adjective: never a speaker
                continue
            speaker = self.known(mention)
            if speaker is None and _is_named(mention):
                # A surname alone stands for the person the text names in full ("Zelenskyy" after
                # "President Volodymyr Zelenskyy", in whatever order their statements come).
                full = next((name for _, name, _ in titled if name.split()[-1] == mention.strip()), mention)
                speaker = self.add_draft(full)
                if self._is_place(speaker.name):
                    self.new.pop(speaker.id, None)
                    speaker = None
            if speaker is not None:
                named.append((att.source[0], speaker))
            first.append(speaker)
        out: list[Speaker | None] = []
        for att, speaker in zip(attributions, first, strict=True):
            if speaker is None and att.source is not None:
                position = att.source[0]
                mention = _source_words(text[att.source[0] : att.source[1]])
                entry = max((e for e in entries if e <= position), default=0)  # its live blog entry
                if mention.lower() in PRONOUNS:  # a pronoun points back, to a compatible antecedent
                    before = [n for n in named if entry <= n[0] < position]
                    if mention.lower() in PERSONAL:
                        # The nearest person named before it in the entry, quoted or not.
                        found: list[tuple[int, str | Speaker]] = [p for p in people if entry <= p[0] < position]
                        found += [n for n in before if n[1].kind == "person"]
                        if found:
                            speaker = self._speaker(max(found, key=lambda f: f[0])[1])
                        pool = []
                    elif mention.lower() in NON_PERSONAL:
                        pool = [n for n in before if n[1].kind != "person"]
                    else:  # "they", "who": a group or a person
                        pool = before
                elif GROUP_RE.search(mention):  # "U.S. and European officials": a group, its own source
                    pool = []
                else:  # "a Russian spokesperson": the nearest named speaker whose role fits
                    words = _stems(mention)
                    # The role must fit ("spokesperson": "Kremlin spokesman"), not only a place
                    # ("Ukraine's president" is not "the United Nations office in Ukraine").
                    roles = _stems(" ".join(ROLE_NOUNS.findall(mention)))
                    pool = [n for n in named if roles & _stems(f"{n[1].role} {n[1].name}")]
                    if not pool:  # "Chinese president" -> "Chinese President Xi Jinping" in its entry
                        following = min((e for e in entries if e > position), default=len(text))
                        fits = [t for t in titled if entry <= t[0] < following and len(words & t[2]) >= 2]
                        opens = _opens_line(text, position)
                        if fits:
                            pool = [(t[0], self._speaker(t[1])) for t in fits]
                        elif PERSON_ROLE.search(mention) and (opens or not ANONYMOUS.search(_line_of(text, position))):
                            # The person named next in the entry, close by: a live blog's line
                            # "Ukraine's president says ..." names them right after it, quoted or
                            # not; "..., its governor has said." names them as a speaker in a later
                            # paragraph ("..., Serhiy Haidai said on Facebook."), unless the source
                            # asked not to be named.
                            start = position if opens else _line_end(text, position)
                            reach = min(following, start + NEXT_NAME_REACH)
                            after: list[tuple[int, str | Speaker]] = (
                                [p for p in people if start < p[0] < reach] if opens else []
                            )
                            after += [n for n in named if n[1].kind == "person" and start < n[0] < reach]
                            if after:
                                speaker = self._speaker(min(after, key=lambda a: a[0])[1])
                if pool:
                    speaker = min(pool, key=lambda n: abs(n[0] - position))[1]
                elif speaker is None and ROLE_NOUNS.search(mention):
                    speaker = self.add_draft(mention)  # an unnamed source of its own ("a European official")
            out.append(speaker)
        return out


OPENING_QUOTES = '“"«'
CLOSING_QUOTES = '”"»'
CONTINUED_CONFIDENCE = 0.6  # a quoted paragraph with no cue of its own, carrying on the one before


def _lines(text: str) -> list[tuple[int, int]]:
    out, position = [], 0
    for line in text.split("\n"):
        if line.strip():
            out.append((position, position + len(line)))
        position += len(line) + 1
    return out


def continued_quotes(
    text: str, quotes: Sequence[Quote], attributions: Sequence[Attribution], skip: Sequence[tuple[int, int]]
) -> list[Quote]:
    """Paragraphs that carry on a direct quotation: a paragraph that opens with a quotation mark
    and holds no attribution of its own, right after a paragraph whose last statement is a direct
    (or mixed) quote, is that speaker's words too (the news style of long quotations). Such a
    paragraph may close its quote or leave it open for the next one."""
    lines = _lines(text)
    attributed = [(c[0], c[1]) for att in attributions for c in att.content]
    out: list[Quote] = []
    previous: Quote | None = None
    for start, end in lines:
        stripped = text[start:end].lstrip()
        opens = stripped[:1] in OPENING_QUOTES
        has_attribution = any(start <= a < end for a, _ in attributed)
        in_caption = any(a < end and start < b for a, b in skip)
        if opens and not has_attribution and not in_caption and previous is not None:
            first = start + (len(text[start:end]) - len(stripped)) + 1
            close = max((text.rfind(mark, first, end) for mark in CLOSING_QUOTES), default=-1)
            last = close if close > first else end
            words = text[first:last].strip(" ,")
            if has_word(words):
                a = text.index(words, first)
                quote = dataclasses.replace(
                    previous,
                    id=f"c-{len(out) + 1}",
                    kind=QuoteKind.DIRECT,
                    words=Span(a, a + len(words), words),
                    cue=None,
                    via=None,
                    said_on=None,
                    confidence=CONTINUED_CONFIDENCE,
                )
                out.append(quote)
                previous = quote  # the next quoted paragraph may go on
                continue
        own = [q for q in quotes if start <= q.words.start < end]
        direct = [q for q in own if q.kind in (QuoteKind.DIRECT, QuoteKind.MIXED)]
        previous = direct[-1] if direct and own[-1] is direct[-1] else None
    return out


def _said_on(text: str, att: Attribution, published: dt.date) -> tuple[dt.date, str] | None:
    """A date written right after the cue ("said Thursday") or right before it."""
    if att.cue is None:
        return None
    window = text[att.cue[1] : att.cue[1] + 30].split(".")[0]
    found = find_date(window, published)
    return (found[0], found[2]) if found else None


MIN_CONFIDENCE = 0.5  # chosen on the dev split for precision (BRIEFBOT_DRAFT_MIN_CONFIDENCE)


def _part_kind(text: str, att: Attribution, start: int, end: int) -> QuoteKind:
    """The kind of one part of a statement: a part of several between quotation marks is direct."""
    if len(att.content) == 1 or att.kind is QuoteKind.INDIRECT:
        return att.kind
    before, after = text[max(0, start - 2) : start].strip(), text[end : end + 2].strip(" ,.")
    return QuoteKind.DIRECT if before[-1:] in OPENING_QUOTES and after[:1] in CLOSING_QUOTES else att.kind


def make_draft(
    meta: ArticleMeta,
    text: str,
    registry: SpeakerRegistry,
    gazetteer: Gazetteer,
    captions: Sequence[Span] = (),
    *,
    min_confidence: float = MIN_CONFIDENCE,
) -> DraftResult:
    """The machine draft of one article (review: draft); every span verbatim from `text`.
    Photo captions (as ingestion marks them) are kept as captions, not drafted from. Statements
    and claims carry their confidence; those under `min_confidence` are left out (a claim inside
    a statement left out is still asserted by its speaker, never by the article)."""
    skip = [(c.start, c.end) for c in captions]
    attributions = extract_attributions(text, statements_only=True)  # not "have felt", "shows", "hopes"
    resolver = SpeakerResolver(registry, gazetteer)
    speakers = resolver.resolve_all(text, attributions)
    quotes: list[Quote] = []
    assertions: list[Assertion] = []
    for att, speaker in zip(attributions, speakers, strict=True):
        if speaker is None or att.source is None:
            continue  # a quote must name its speaker
        if any(a < att.content[-1][1] and att.content[0][0] < b for a, b in skip):
            continue  # words inside a photo caption
        via = text[att.via[0] : att.via[1]] if att.via else None
        said = _said_on(text, att, meta.published)
        # Each part of a statement is a quote of its own ("X," he said. "Y."), as a desk files
        # them; one word is no statement ("said on Facebook": the medium, not the words).
        for start, end in (r for r in att.content if word_count(text[r[0] : r[1]]) >= 2):
            quotes.append(
                Quote(
                    id=f"q{len(quotes) + 1}",
                    speaker=speaker.id,
                    mention=text[att.source[0] : att.source[1]],
                    role=speaker.role,
                    kind=_part_kind(text, att, start, end),
                    words=Span(start, end, text[start:end]),
                    via=via,
                    cue=text[att.cue[0] : att.cue[1]] if att.cue else None,
                    said_on=said[0] if said else None,
                    confidence=att.confidence,
                )
            )
        for a, b in att.content:
            assertions.append(Assertion(a, b, speaker.id, via))
    continued = continued_quotes(text, quotes, attributions, skip)
    quotes = sorted([*quotes, *continued], key=lambda q: q.words.start)
    assertions += [Assertion(q.words.start, q.words.end, q.speaker) for q in continued]
    quotes = [q for q in quotes if q.confidence is None or q.confidence >= min_confidence]
    quotes = [dataclasses.replace(q, id=f"q{n}") for n, q in enumerate(quotes, 1)]
    claims = region_claims(text, gazetteer, meta.published, assertions, skip, min_confidence)
    names = {s.id: s.name for s in speakers if s is not None} | {"article": meta.publisher}
    region_names = {code: region.name for code, region in gazetteer.regions.items()}
    digest = ArticleDigest(
        meta=meta,
        text=text,
        review=Review.DRAFT,
        key_points=tuple(key_points(text, gazetteer, [r for att in attributions for r in att.content], skip=skip)),
        captions=tuple(captions),
        quotes=tuple(quotes),
        claims=tuple(claims),
        contradictions=tuple(candidate_contradictions(claims, names, region_names)),
    )
    return DraftResult(digest, list(resolver.new.values()))


# ------------------------------------------------------------------------------------------
# Writing drafts without overwriting people's work


def _content_hash(body: str, text: str) -> str:
    return hashlib.sha256(body.encode("utf-8") + b"\0" + text.encode("utf-8")).hexdigest()


def render_draft(digest: ArticleDigest) -> str:
    """The draft file: the digest file, with the drafter's hash in a header comment."""
    body = dump_digest(digest)
    return f"# drafter-sha256: {_content_hash(body, digest.text)}\n" + body


def draft_state(path: Path) -> str:
    """'missing', 'skeleton' (ingestion's empty file), 'untouched-draft' (safe to replace),
    'reviewing' (a draft in which an editor decided items: redrafted only by merging, see
    `merge_redraft`), or why it must be kept: 'reviewed', 'curating' (a skeleton a person
    started), 'edited', 'hand-written' or 'unreadable'."""
    if not path.exists():
        return "missing"
    try:
        raw = path.read_text("utf-8")
        data, _ = parse_yaml(raw, path.name)  # the loader's own reader: no aliases, bounded
        text_file = path.parent / str(data["article"]["text_file"])
        text = text_file.read_text("utf-8") if text_file.is_file() else ""
    except (OSError, UnicodeDecodeError, DigestFileError, TypeError, KeyError):
        return "unreadable"
    if not isinstance(data, dict):
        return "unreadable"
    if data.get("review") == "none":
        curated = any(data.get(k) for k in SECTIONS)
        return "curating" if curated else "skeleton"
    if data.get("review") != "draft":
        return "reviewed"
    if _has_decisions(data):
        return "reviewing"
    match = HASH_RE.match(raw)
    if match is None:
        return "hand-written"
    if _content_hash(raw[match.end() :], text) != match.group(1):
        return "edited"
    return "untouched-draft"


SECTIONS = ("key_points", "quotes", "claims", "contradictions")
REPLACEABLE = frozenset({"missing", "skeleton", "untouched-draft"})


def _has_decisions(data: dict[str, Any]) -> bool:
    return any(
        isinstance(item, dict) and isinstance(item.get("review"), dict) and item["review"].get("by")
        for section in SECTIONS
        for item in data.get(section) or []
    )


def redraftable(path: Path, new_text: str | None = None) -> bool:
    """May a new draft (of `new_text`, when the article's text changed) take this file's place?
    Untouched machine files may; a draft with decisions may when every decided item's words are
    still in the text (the decisions are carried over); anything else is a person's."""
    state = draft_state(path)
    if state in REPLACEABLE:
        return True
    if state != "reviewing":
        return False
    if new_text is None:
        return True
    try:
        old = read_digest(path, _lenient_context(path.parent))
    except DigestFileError:
        return False
    return all(
        _relocate(span, new_text) is not None
        for item in _decided(old)
        if item.review.state != ItemState.REJECTED
        for span in _spans(item)
    )


def _lenient_context(directory: Path) -> ValidationContext:
    from bot.core.digest_files import default_context

    return default_context(directory)


# ------------------------------------------------------------------------------------------
# Redrafting a draft an editor has started: decisions are kept, the rest is drafted anew


def _decided(digest: ArticleDigest) -> list[Any]:
    items: list[Any] = [*digest.key_points, *digest.quotes, *digest.claims, *digest.contradictions]
    return [item for item in items if item.review.by]


def _spans(item: Any) -> tuple[Span, ...]:
    if isinstance(item, Quote):
        return (item.words,)
    if isinstance(item, (KeyPoint, RegionClaim)):
        return (item.evidence,)
    return (item.a, item.b)


def _relocate(span: Span, text: str) -> Span | None:
    """The same words in a changed text: the occurrence nearest the old place, or None."""
    found = [m.start() for m in re.finditer(re.escape(span.text), text)] if span.text else []
    if not found:
        return None
    start = min(found, key=lambda at: abs(at - span.start))
    return Span(start, start + len(span.text), span.text)


def _same_item_key(item: Any) -> tuple[str, ...]:
    """What makes a new machine item "the one an editor already decided": the same words (and,
    for a claim, the same region and type as first drafted, whatever an edit changed)."""
    was = dict(item.review.was)
    if isinstance(item, Quote):
        return ("q", was.get("words", item.words.text))
    if isinstance(item, RegionClaim):
        return (
            "c",
            was.get("evidence", item.evidence.text),
            was.get("region", item.region),
            was.get("claim", item.claim.value),
        )
    if isinstance(item, KeyPoint):
        return ("k", item.evidence.text)
    return ("x", item.a.text, item.b.text)


def merge_redraft(old: ArticleDigest, new: ArticleDigest) -> ArticleDigest | None:
    """`new` (a fresh machine draft) with every decision of `old` carried over: decided items keep
    their id, state, reviewer and history (their spans found again in the new text); new items
    an editor already decided are dropped (a rejected claim is not proposed again); old
    undecided items give way to the new draft's. None when the words of an item an editor
    accepted or edited are no longer in the text: then the editor's file and text are kept."""
    kept: dict[str, list[Any]] = {section: [] for section in SECTIONS}
    decided_keys: set[tuple[str, ...]] = set()
    for item in _decided(old):
        found = [_relocate(span, new.text) for span in _spans(item)]
        spans = [span for span in found if span is not None]
        if len(spans) != len(found):
            if item.review.state == ItemState.REJECTED:
                continue  # words an editor rejected are gone from the page: nothing to keep
            return None
        if isinstance(item, Quote):
            moved: Any = replace(item, words=spans[0])
            section = "quotes"
        elif isinstance(item, RegionClaim):
            moved, section = replace(item, evidence=spans[0]), "claims"
        elif isinstance(item, KeyPoint):
            moved, section = replace(item, evidence=spans[0]), "key_points"
        else:
            moved, section = replace(item, a=spans[0], b=spans[1]), "contradictions"
        kept[section].append(moved)
        decided_keys.add(_same_item_key(item))
    used = {item.id for items in kept.values() for item in items}
    prefix = {"key_points": "k", "quotes": "q", "claims": "c", "contradictions": "x"}
    merged: dict[str, tuple[Any, ...]] = {}
    for section in SECTIONS:
        fresh = []
        counter = 0
        for item in getattr(new, section):
            if _same_item_key(item) in decided_keys:
                continue
            counter += 1
            while f"{prefix[section]}{counter}" in used:
                counter += 1
            fresh_id = f"{prefix[section]}{counter}"
            used.add(fresh_id)
            fresh.append(replace(item, id=fresh_id))
        ordered = sorted([*kept[section], *fresh], key=lambda it: _spans(it)[0].start)
        merged[section] = tuple(ordered)
    return replace(
        new,
        meta=replace(new.meta, title=old.meta.title),
        key_points=merged["key_points"],
        quotes=merged["quotes"],
        claims=merged["claims"],
        contradictions=merged["contradictions"],
    )


@dataclass(frozen=True, slots=True)
class WriteOutcome:
    path: Path
    written: bool
    reason: str  # "new", "replaced an untouched draft", or why the file was kept


def append_draft_speakers(directory: Path, speakers: Sequence[Speaker]) -> list[str]:
    """Add new speakers to the registry file as drafts (appended, so curated comments stay);
    returns the ids added."""
    path = directory / SPEAKERS_FILE
    existing = path.read_text("utf-8") if path.is_file() else "speakers:\n"
    data = yaml.safe_load(existing) or {}
    have = {str(row.get("id")) for row in data.get("speakers") or [] if isinstance(row, dict)}
    fresh = [s for s in speakers if s.id not in have]
    if not fresh:
        return []
    lines = [] if existing.endswith("\n") else [""]
    for s in fresh:
        lines.append(f"  - id: {s.id}  # {DRAFT_LABEL}: added by briefbot draft")
        lines.append(f"    name: {yaml.safe_dump(s.name, default_style=chr(34)).strip()}")
        lines.append(f"    kind: {s.kind}")
        if s.role:
            lines.append(f"    role: {yaml.safe_dump(s.role, default_style=chr(34)).strip()}")
    path.write_text(existing + "\n".join(lines) + "\n", "utf-8")
    return [s.id for s in fresh]


def write_draft(result: DraftResult, directory: Path, ctx: ValidationContext) -> WriteOutcome:
    """Validate the draft with the curated files' validator, then write NAME.yaml + NAME.txt,
    unless a person's file is there (see the module docstring). A draft an editor has started
    is merged: every decision stays (`merge_redraft`)."""
    directory.mkdir(parents=True, exist_ok=True)
    digest = result.digest
    path = directory / f"{digest.meta.id}.yaml"
    state = draft_state(path)
    if state == "reviewing":
        try:
            merged = merge_redraft(read_digest(path, ctx), digest)
        except DigestFileError as exc:
            return WriteOutcome(path, False, f"kept: a draft under review that does not load ({exc})")
        if merged is None:
            return WriteOutcome(path, False, "kept: a draft under review whose decided words are no longer in the text")
        digest = merged
    elif state not in REPLACEABLE:
        return WriteOutcome(path, False, f"kept: {state} file")
    for speaker in result.new_speakers:
        ctx.speakers.add(speaker)
    # A merged draft holds decisions: it is a person's file now, so it carries no drafter's hash.
    content = dump_digest(digest) if state == "reviewing" else render_draft(digest)
    with tempfile.TemporaryDirectory() as staging:  # validate exactly what will be written
        (Path(staging) / f"{digest.meta.id}.txt").write_text(digest.text, "utf-8")
        (Path(staging) / f"{digest.meta.id}.yaml").write_text(content, "utf-8")
        read_digest(Path(staging) / f"{digest.meta.id}.yaml", ctx)  # raises DigestFileError when invalid
    append_draft_speakers(directory, result.new_speakers)
    (directory / f"{digest.meta.id}.txt").write_text(digest.text, "utf-8")
    path.write_text(content, "utf-8")
    reasons = {
        "missing": "new",
        "skeleton": "filled an ingested skeleton",
        "reviewing": "redrafted, every decision kept",
    }
    return WriteOutcome(path, True, reasons.get(state, "replaced an untouched draft"))


def draft_article(
    meta: ArticleMeta,
    text: str,
    directory: Path,
    captions: Sequence[Span] = (),
    *,
    min_confidence: float = MIN_CONFIDENCE,
) -> WriteOutcome:
    """The one call ingestion makes for a new article: draft it and write it into the digest
    folder (validated; a person's file is kept). Raises DigestFileError if the draft is invalid."""
    from bot.core.digest_files import default_context
    from bot.core.gazetteer import load_gazetteer

    ctx = default_context(directory)
    draft = make_draft(meta, text, ctx.speakers, load_gazetteer(), captions, min_confidence=min_confidence)
    return write_draft(draft, directory, ctx)


def list_drafts(directory: Path) -> list[tuple[Path, str]]:
    """Every digest file of a folder still marked draft, with its state."""
    out: list[tuple[Path, str]] = []
    for path in sorted(directory.glob("*.yaml")):
        if path.name == SPEAKERS_FILE:
            continue
        state = draft_state(path)
        if state in ("untouched-draft", "reviewing", "edited", "hand-written"):
            out.append((path, state))
    return out
