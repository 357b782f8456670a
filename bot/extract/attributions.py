"""Attribution extraction: who said (thought, reported) what, as verbatim spans of the text.

A small transformer (`bot/extract/attribution_model.py`: MiniLM's first layers fine-tuned on
PolNeAR train by `scripts/train_attributions.py`, shipped as int8 ONNX in `bot/extract/model/`)
reads each paragraph:

1. its cue head marks cue spans ("said", "according to", "told", ":");
2. its role head runs once per cue over the paragraph and marks that cue's source and
   content tokens, from each token's relation to the cue (side, distance, sentence,
   quotation, other cues in between).

Rules on top read what news writing says plainly and the model misreads ("According to X,
CLAUSE"; "CONTENT, SOURCE said."; "CONTENT, OUTLET cited SOURCE as saying."). Working cue by
cue keeps several attributions in one paragraph apart and gives discontinuous content ("X," he
said, "Y.") to one attribution naturally. Everything returned is character offsets into the
text given, so the caller can slice verbatim spans.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import lemminflect
import numpy as np

from bot.core.models import QuoteKind
from bot.extract.attribution_model import MODEL_DIR, AttributionModel, load, relations, viterbi
from bot.extract.text import QUOTE_CHARS, Paragraph, Token, has_word, paragraphs, sentence_groups

CharRange = tuple[int, int]

# Outlets relaying someone else's words ("According to Reuters, ..."); a source naming one of
# these with a reporting cue is a relay, recorded as `via`.
OUTLET_RE = re.compile(
    r"\b(Reuters|Associated Press|AP|AFP|Agence France-Presse|Bloomberg|CNN|BBC|NBC|CBS|ABC|Fox News|"
    r"MSNBC|NPR|Politico|Axios|TASS|RIA Novosti|RIA|Interfax|Ukrinform|Kyiv Independent|Meduza|"
    r"Newsweek|The Guardian|Guardian|The New York Times|New York Times|The Washington Post|"
    r"Washington Post|The Wall Street Journal|Wall Street Journal|The Times|Times|The Post|Post|"
    r"Breitbart|Al Jazeera|Izvestia|Kommersant|RBC|Ukrainska Pravda|state media|state television|"
    r"the newspaper|the paper|the outlet|the agency|news agency|[A-Z][\w-]+ (?:News|Times|Post|Journal))\b"
)
RELAY_CUES = frozenset({"according to", "reported", "reports", "reporting", "cited", "citing", "quoted"})


@dataclass(frozen=True, slots=True)
class Attribution:
    """One attribution: content spans, its cue, its source (None when unstated), kind and relay."""

    content: tuple[CharRange, ...]
    cue: CharRange | None
    source: CharRange | None
    kind: QuoteKind
    via: CharRange | None = None
    confidence: float = 1.0  # the tagger's probability of its cue, lower when the source was a fallback

    def as_scorer_dict(self) -> dict[str, object]:
        return {
            "source": list(self.source) if self.source else None,
            "cue": list(self.cue) if self.cue else None,
            "content": [list(span) for span in self.content],
        }


@functools.lru_cache(maxsize=65536)
def _lemma(word: str) -> str:
    """The lemma of a word from lemminflect's dictionary (a verb's first), lower case: tells
    "pledged" and "pledges" for the statement verb they are."""
    lemmas = lemminflect.getAllLemmas(word)
    if not lemmas:
        return word.lower()
    return str(lemmas.get("VERB", lemmas[sorted(lemmas)[0]])[0]).lower()


# ------------------------------------------------------------------------------------------
# Label encoding shared by training and decoding


def bio(labels_by_token: Sequence[str | None]) -> list[str]:
    """Role names per token (None = outside) -> BIO tags, a new chunk at each role change."""
    out: list[str] = []
    previous: str | None = None
    for role in labels_by_token:
        if role is None:
            out.append("O")
        elif role == previous:
            out.append("I-" + role)
        else:
            out.append("B-" + role)
        previous = role
    return out


def chunks(tags: Sequence[str], role: str) -> list[tuple[int, int]]:
    """Token ranges [a, b) of each chunk of one role in a BIO sequence."""
    out: list[tuple[int, int]] = []
    start: int | None = None
    for i, tag in enumerate([*tags, "O"]):
        inside = tag.endswith("-" + role)
        if start is not None and (not inside or tag.startswith("B-")):
            out.append((start, i))
            start = None
        if inside and start is None:
            start = i
    return out


def token_range(tokens: Sequence[Token], start: int, end: int) -> tuple[int, int] | None:
    """Token indices [a, b) of the tokens overlapping characters [start, end)."""
    hits = [i for i, t in enumerate(tokens) if t.start < end and start < t.end]
    return (hits[0], hits[-1] + 1) if hits else None


# ------------------------------------------------------------------------------------------
# Extraction


def _word_tokens(tokens: Sequence[Token], a: int, b: int) -> list[Token]:
    return [t for t in tokens[a:b] if has_word(t.text)]


def _content_segments(tokens: Sequence[Token], ranges: list[tuple[int, int]]) -> list[CharRange]:
    """Content chunks -> character ranges, trimmed to words; chunks split by punctuation only merge."""
    segments: list[tuple[int, int]] = []
    for a, b in ranges:
        words = [i for i in range(a, b) if has_word(tokens[i].text)]
        if not words:
            continue
        a, b = words[0], words[-1] + 1
        if segments and all(not has_word(t.text) for t in tokens[segments[-1][1] : a]):
            segments[-1] = (segments[-1][0], b)
        else:
            segments.append((a, b))
    return [(tokens[a].start, tokens[b - 1].end) for a, b in segments]


def _kind(tokens: Sequence[Token], ranges: list[tuple[int, int]]) -> QuoteKind:
    words = [t for a, b in ranges for t in _word_tokens(tokens, a, b)]
    quoted = sum(t.in_quote for t in words)
    if words and quoted == len(words):
        return QuoteKind.DIRECT
    return QuoteKind.MIXED if quoted else QuoteKind.INDIRECT


ACCORDING_TO_RE = re.compile(r"\b[Aa]ccording to\s+")


def _via(
    text: str, cue: CharRange, source: CharRange | None, window_start: int, content_start: int
) -> CharRange | None:
    """The relaying outlet: the source itself after a relay cue ("..., Reuters reported"), or an
    "according to OUTLET," just before the attribution in its paragraph ("According to CNN,
    Ukraine said ...")."""
    if source is not None and text[cue[0] : cue[1]].lower().strip() in RELAY_CUES:
        match = OUTLET_RE.search(text, source[0], source[1])
        if match:
            return (match.start(), match.end())
    start = min(content_start, source[0] if source else content_start, cue[0])
    for relay in ACCORDING_TO_RE.finditer(text, max(window_start, start - 40), start):
        match = OUTLET_RE.match(text, relay.end())
        if match:
            return (match.start(), match.end())
    return None


DUPLICATE_DICE = 0.5  # the scorer's match criterion: two predictions this close cannot both match
CUE_THRESHOLD = 0.6  # chosen on PolNeAR dev among 0.5-0.65 (F1 0.800-0.803), the surer side (bot/extract/README.md)


def decode_cues(cue_probabilities: np.ndarray, threshold: float = CUE_THRESHOLD) -> list[tuple[int, int, float]]:
    """Cue token ranges with their confidence: runs of tokens whose probability of being in a
    cue reaches the threshold, a new cue starting where a token is more likely a cue's first."""
    inside = 1.0 - cue_probabilities[:, 0]
    begins = cue_probabilities[:, 1]
    n = len(inside)
    out: list[tuple[int, int, float]] = []
    i = 0
    while i < n:
        if inside[i] >= threshold:
            j = i + 1
            while j < n and inside[j] >= threshold and begins[j] < threshold:
                j += 1
            out.append((i, j, float(inside[i:j].max())))
            i = j
        else:
            i += 1
    return out


SOURCE_FALLBACK = 0.25  # the CRF's (0.2-0.4 alike on dev then), not retuned for the transformer
FALLBACK_SOURCE_FACTOR = 0.7  # a source the model only half-believes makes the statement less sure


def _likely_sources(role_probabilities: np.ndarray) -> list[tuple[int, int]]:
    """Runs of tokens whose probability of being the source reaches SOURCE_FALLBACK."""
    likely = role_probabilities[:, 1] + role_probabilities[:, 2] >= SOURCE_FALLBACK
    out: list[tuple[int, int]] = []
    for i, flag in enumerate(likely):
        if flag and out and out[-1][1] == i:
            out[-1] = (out[-1][0], i + 1)
        elif flag:
            out.append((i, i + 1))
    return out


def _dice(a: set[int], b: set[int]) -> float:
    return 2 * len(a & b) / (len(a) + len(b)) if a and b else 0.0


# "According to Reuters, Russia will focus ...": a sentence opening with "according to" is that
# source's statement, unless the clause after it has a verb of saying of its own ("According to
# CNN, Ukraine said ...", where the outlet only relays). The tagger often misses this cue and
# takes a verb of the clause for one ("will focus").
SENTENCE_ACCORDING_RE = re.compile(r"According to ([^,;:\n]{2,80}?),\s+")
# Verbs (lemmas) and phrase heads that make an attribution a statement: saying, claiming,
# reporting, accusing, denying... What the tagger also marks from PolNeAR's wider notion of
# attribution (beliefs, feelings, perceptions: "felt", "hopes", "seems", "shows", "released")
# is no statement a desk would quote.
STATEMENT_LEMMAS = frozenset(
    re.findall(
        r"\w+",
        "say tell claim report announce state add write warn deny accuse insist confirm note argue suggest "
        "explain acknowledge admit allege assert declare describe predict reply respond stress tweet post "
        "urge vow promise pledge threaten estimate call cite quote reveal indicate accord statement "
        "denounce dismiss downplay portray frame document speak hail condemn question reject refer "
        "criticise criticize praise blame agree propose demand ask order appeal recall complain "
        "emphasise emphasize comment concede caution repeat reiterate publish brief inform testify "
        "announcement interview telegram facebook twitter",
    )
)


NEGATION_RE = re.compile(r"\b(?:not|never|no)\b|n[’']t\b", re.IGNORECASE)


def _is_statement_word(word: str) -> bool:
    return _lemma(word) in STATEMENT_LEMMAS  # lemmas are lower case


def is_statement_cue(cue: str) -> bool:
    """Whether a cue's words make a statement (STATEMENT_LEMMAS), not denied ("did not say how
    many"); a colon introducing words is one."""
    words = re.findall(r"\w+", cue)
    if NEGATION_RE.search(cue):
        return False
    return not words or any(_is_statement_word(w) for w in words)


SENTENCE_RULE_CONFIDENCE = 0.9  # an attribution read by a sentence pattern below


def _according_to_openings(text: str, tokens: Sequence[Token]) -> list[tuple[list[int], re.Match[str]]]:
    """(the sentence's token indices, its SENTENCE_ACCORDING_RE match) of each sentence of the
    paragraph that opens "According to X,"."""
    out = []
    for members in sentence_groups(tokens).values():
        match = SENTENCE_ACCORDING_RE.match(text, tokens[members[0]].start, tokens[members[-1]].end)
        if match:
            out.append((members, match))
    return out


def _opening_according_to(
    text: str, tokens: Sequence[Token], found: list[tuple[float, set[int], Attribution]]
) -> list[tuple[float, set[int], Attribution]]:
    """`found`, with each sentence opening "According to SOURCE, CLAUSE" read as SOURCE's
    statement of CLAUSE (see SENTENCE_ACCORDING_RE); the tagger's cues inside such a clause
    that are no verbs of saying are dropped."""
    for members, match in _according_to_openings(text, tokens):
        first, last = members[0], members[-1]
        while last > first and not has_word(tokens[last].text):
            last -= 1  # the closing full stop is no part of the statement
        inner = [i for i in members if tokens[i].start >= match.end() and i <= last]
        if not inner:
            continue
        span = (tokens[inner[0]].start, tokens[last].end)
        inside = [f for f in found if f[2].cue is not None and span[0] <= f[2].cue[0] < span[1]]
        cue_words = [w for f in inside if f[2].cue for w in re.findall(r"\w+", text[f[2].cue[0] : f[2].cue[1]])]
        if any(_is_statement_word(w) for w in cue_words):
            continue
        found = [f for f in found if all(f is not g for g in inside)]
        attribution = Attribution(
            content=(span,),
            cue=(match.start(), match.start() + len("According to")),
            source=match.span(1),
            kind=_kind(tokens, [(inner[0], last + 1)]),
            confidence=SENTENCE_RULE_CONFIDENCE,
        )
        found.append((SENTENCE_RULE_CONFIDENCE, {i for i in inner if has_word(tokens[i].text)}, attribution))
    return found


# The commonest attribution of news writing, "CONTENT, SOURCE said." The role tagger at times
# gives such a cue no content (or one word after it: "said on Facebook"); then the content is the
# sentence up to the comma before the source.
SOURCE_BEFORE_CUE_MAX = 10  # tokens between that comma and the cue
CONTENT_BEFORE_MIN_WORDS = 3


def _clause_before(tokens: Sequence[Token], cue: tuple[int, int]) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """(content, source) token ranges for a cue of saying that follows "CONTENT, SOURCE" in its
    sentence; None when the sentence is not built so."""
    cue_start = cue[0]
    if not any(_is_statement_word(t.text) for t in tokens[cue_start : cue[1]]):
        return None
    sentence = tokens[cue_start].sentence
    first = cue_start
    while first > 0 and tokens[first - 1].sentence == sentence:
        first -= 1
    comma = next((i for i in range(cue_start - 1, first, -1) if tokens[i].text == ","), None)
    if comma is None or not 1 <= cue_start - comma - 1 <= SOURCE_BEFORE_CUE_MAX:
        return None
    source = tokens[comma + 1 : cue_start]
    if any(t.text in QUOTE_CHARS for t in source) or not any(has_word(t.text) for t in source):
        return None
    if len(_word_tokens(tokens, first, comma)) < CONTENT_BEFORE_MIN_WORDS:
        return None
    return (first, comma), (comma + 1, cue_start)


# "CONTENT, the RIA state news agency cited the defence ministry as saying.": the tagger takes the
# outlet for the source and "the defence ministry as saying" for the words.
CITED_AS_SAYING_RE = re.compile(
    r"(?P<content>.+?),\s+(?P<via>[^,;:]{2,80}?)\s+(?P<cue>cited|quoted)\s+(?P<source>[^,;:]{2,80}?)\s+as\s+saying\W*$"
)


def _cited_as_saying(
    text: str, tokens: Sequence[Token], found: list[tuple[float, set[int], Attribution]]
) -> list[tuple[float, set[int], Attribution]]:
    """`found`, with each sentence "CONTENT, OUTLET cited SOURCE as saying." read as SOURCE's
    statement relayed by OUTLET, in place of the tagger's reading of its cue."""
    for members in sentence_groups(tokens).values():
        start, end = tokens[members[0]].start, tokens[members[-1]].end
        match = CITED_AS_SAYING_RE.fullmatch(text, start, end)
        if not match:
            continue
        cue = match.span("cue")
        found = [f for f in found if f[2].cue is None or not cue[0] <= f[2].cue[0] < cue[1]]
        content_tokens = [i for i in members if tokens[i].end <= match.end("content")]
        words = {i for i in content_tokens if has_word(tokens[i].text)}
        attribution = Attribution(
            content=(match.span("content"),),
            cue=cue,
            source=match.span("source"),
            kind=_kind(tokens, [(content_tokens[0], content_tokens[-1] + 1)]),
            via=match.span("via"),
            confidence=SENTENCE_RULE_CONFIDENCE,
        )
        found.append((SENTENCE_RULE_CONFIDENCE, words, attribution))
    return found


RELATIVE_RE = re.compile(r"(?:that|which|who|whose)\b", re.IGNORECASE)


def _not_the_sources_clause(text: str, content: list[CharRange], source: CharRange | None) -> list[CharRange]:
    """Content without a part that is a relative clause of the source ("according to Energoatom,
    the state-run agency that controls ...")."""
    if source is None or len(content) < 2:
        return content
    return [(a, b) for a, b in content if not (0 <= a - source[1] <= 2 and RELATIVE_RE.match(text, a))]


def _sentence_final(tokens: Sequence[Token], cue_end: int) -> bool:
    """Whether only punctuation follows the cue in its sentence ("..., Maxar said.")."""
    sentence = tokens[cue_end - 1].sentence
    return all(not has_word(t.text) for t in tokens[cue_end:] if t.sentence == sentence)


RELAYED_CUE_FLOOR = 0.25  # how sure the tagger must be of a relayed clause's verb of saying


def _relayed_cues(
    text: str, tokens: Sequence[Token], cues: list[tuple[int, int, float]], probabilities: np.ndarray
) -> list[tuple[int, int, float]]:
    """`cues`, where a sentence opening "According to CNN, Ukraine said ..." has its clause's
    own verb of saying as the cue, not "According to": the outlet only relays (it is recorded
    as `via`), and the tagger at times half-believes the verb after such an opening."""
    for members, match in _according_to_openings(text, tokens):
        verbs = [
            i
            for i in members
            if tokens[i].start >= match.end()
            and _is_statement_word(tokens[i].text)
            and 1.0 - probabilities[i, 0] >= RELAYED_CUE_FLOOR
        ]
        if not verbs:
            continue
        opening = [c for c in cues if members[0] <= c[0] and tokens[c[0]].start < match.end()]
        confidence = max((c[2] for c in opening), default=SENTENCE_RULE_CONFIDENCE)
        cues = [c for c in cues if c not in opening and not c[0] <= verbs[0] < c[1]]
        cues.append((verbs[0], verbs[0] + 1, confidence))
    return sorted(cues)


def _could_cue_a_statement(tokens: Sequence[Token]) -> bool:
    """Whether a word of saying or a colon introducing words is there; a colon inside a time or
    a score ("10:30 GMT", a live blog's stamps) is neither."""
    for i, token in enumerate(tokens):
        if token.text == ":":
            digits = 0 < i < len(tokens) - 1 and tokens[i - 1].text.isdigit() and tokens[i + 1].text.isdigit()
            if not digits:
                return True
        elif _is_statement_word(token.text):
            return True
    return False


def extract_paragraph(
    text: str,
    paragraph: Paragraph,
    model: AttributionModel,
    *,
    statements_only: bool = False,
) -> list[Attribution]:
    tokens = paragraph.tokens
    if statements_only and not _could_cue_a_statement(tokens):
        return []  # no word here could be the cue of a statement: the model need not run
    hidden, cue_probabilities = model.encode(tokens)
    cues = _relayed_cues(text, tokens, decode_cues(cue_probabilities), cue_probabilities)
    if statements_only:
        cues = [c for c in cues if is_statement_cue(text[tokens[c[0]].start : tokens[c[1] - 1].end])]
    if not cues:
        return []
    mask = [False] * len(tokens)
    for a, b, _ in cues:
        for i in range(a, b):
            mask[i] = True
    found: list[tuple[float, set[int], Attribution]] = []
    for a, b, confidence in cues:
        # "..., the capital's police chief said.": the whole clause before the comma is the
        # content of a cue ending its sentence, also where the role head would leave a statement
        # nested in it out ("Images show that ..., X said."), so the role head need not run
        before = _clause_before(tokens, (a, b))
        fallback = False
        if before is not None and _sentence_final(tokens, b):
            content_ranges, sources = [before[0]], [before[1]]
        else:
            role_probabilities = model.roles(hidden, relations(tokens, (a, b), mask))
            tags = viterbi(role_probabilities)
            content_ranges = chunks(tags, "CON")
            sources = [r for r in chunks(tags, "SRC") if _word_tokens(tokens, *r)]
            few_words = sum(len(_word_tokens(tokens, *r)) for r in content_ranges) <= 1  # or "said on Facebook"
            if few_words and before is not None:
                content_ranges, sources = [before[0]], [before[1]]
            fallback = not sources
            if fallback:  # Viterbi left the source out: take a likely one when the model half-believes it
                sources = [r for r in _likely_sources(role_probabilities) if _word_tokens(tokens, *r)]
        content = _content_segments(tokens, content_ranges)
        if not content:
            continue
        source: CharRange | None = None
        if sources:
            sa, sb = min(sources, key=lambda r: min(abs(r[0] - b), abs(a - r[1])))
            words = _word_tokens(tokens, sa, sb)
            source = (words[0].start, words[-1].end)
        content = _not_the_sources_clause(text, content, source)
        cue_range = (tokens[a].start, tokens[b - 1].end)
        content_words = {i for r in content_ranges for i in range(*r) if has_word(tokens[i].text)}
        attribution = Attribution(
            content=tuple(content),
            cue=cue_range,
            source=source,
            kind=_kind(tokens, content_ranges),
            via=_via(text, cue_range, source, paragraph.start, content[0][0]),
            confidence=round(confidence * (FALLBACK_SOURCE_FACTOR if fallback else 1.0), 2),
        )
        found.append((confidence, content_words, attribution))
    found = _cited_as_saying(text, tokens, _opening_according_to(text, tokens, found))
    # two cues claiming the same content ("has said", a cue and its echo): keep the surer one
    kept: list[tuple[float, set[int], Attribution]] = []
    for item in sorted(found, key=lambda f: -f[0]):
        if all(_dice(item[1], other[1]) < DUPLICATE_DICE for other in kept):
            kept.append(item)
    return sorted((k[2] for k in kept), key=lambda att: att.cue or (0, 0))


def extract_attributions(
    text: str, model_dir: Path | str = MODEL_DIR, *, statements_only: bool = False
) -> list[Attribution]:
    """Every attribution found in cleaned article text, in text order (AttributionModelMissing
    when the shipped model is absent or altered); with `statements_only`,
    only those whose cue makes a statement (`is_statement_cue`), as drafts show: the others are
    not tagged at all, so none of them can take a statement's words from it."""
    model = load(str(model_dir))
    out: list[Attribution] = []
    for paragraph in paragraphs(text):
        out += extract_paragraph(text, paragraph, model, statements_only=statements_only)
    return out
