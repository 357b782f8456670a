"""Attribution extraction: who said (thought, reported) what, as verbatim spans of the text.

Two linear-chain CRFs (python-crfsuite), trained on PolNeAR train by
`scripts/train_attributions.py` and shipped in `bot/extract/model/`:

1. the cue tagger marks cue spans ("said", "according to", "told", ":") in each paragraph;
2. the role tagger runs once per cue over the cue's paragraph and marks that cue's source and
   content tokens, with features relative to the cue (side, distance, sentence, quotation
   state, other cues in between).

Working cue by cue keeps several attributions in one paragraph apart and gives discontinuous
content ("X," he said, "Y.") to one attribution naturally. Everything returned is character
offsets into the text given, so the caller can slice verbatim spans.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import lemminflect
import pycrfsuite

from bot.core.models import QuoteKind
from bot.extract.text import QUOTE_CHARS, Paragraph, Token, has_word, paragraphs, sentence_groups

MODEL_DIR = Path(__file__).parent / "model"
CUE_MODEL = "cue_tagger.bin"
ROLE_MODEL = "role_tagger.bin"
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
    confidence: float = 1.0  # the cue's marginal probability, lower when the source was a fallback

    def as_scorer_dict(self) -> dict[str, object]:
        return {
            "source": list(self.source) if self.source else None,
            "cue": list(self.cue) if self.cue else None,
            "content": [list(span) for span in self.content],
        }


# ------------------------------------------------------------------------------------------
# Features


def _shape(word: str) -> str:
    if word in QUOTE_CHARS:
        return "QUOTE"
    if not has_word(word):
        return "PUNCT"
    if word.isdigit():
        return "DIGIT"
    if word.isupper():
        return "UPPER"
    if word[:1].isupper():
        return "TITLE"
    return "lower"


def _stem(word: str) -> str:
    """A crude suffix stripper so that "asserts", "asserted" and "asserting" share a feature."""
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


@functools.lru_cache(maxsize=65536)
def _lexical(word: str) -> tuple[str, str]:
    """(lemma, possible parts of speech) from lemminflect's dictionary: generalizes over
    inflections of rare cue verbs ("pledged", "pledges") and tells verbs from nouns."""
    lemmas = lemminflect.getAllLemmas(word)
    if not lemmas:
        return word.lower(), "?"
    pos = sorted(lemmas)
    lemma = lemmas.get("VERB", lemmas[pos[0]])[0].lower()
    return lemma, "|".join(pos)


def base_features(paragraph: Paragraph) -> list[list[str]]:
    """Context-window features of each token, shared by the cue and role taggers."""
    tokens = paragraph.tokens
    lowers = [t.text.lower() for t in tokens]
    stems = [_stem(w) for w in lowers]
    lexical = [_lexical(t.text) if has_word(t.text) else (t.text, "P") for t in tokens]
    shapes = [_shape(t.text) for t in tokens]
    n = len(tokens)
    # sentence-level context: where the token sits in its sentence, and whether the sentence
    # quotes someone (", he said." closes sentences; "said that" opens reported speech)
    sentence_bounds = sentence_groups(tokens)
    quoted_sentences = {t.sentence for t in tokens if t.text in QUOTE_CHARS}
    out: list[list[str]] = []
    for i, token in enumerate(tokens):
        w = lowers[i]
        members = sentence_bounds[token.sentence]
        from_start, to_end = i - members[0], members[-1] - i
        following = lowers[i + 1 : i + 4]
        f = [
            "fs=" + (str(from_start) if from_start < 4 else "more"),
            "te=" + (str(to_end) if to_end < 4 else "more"),
            "sq=" + ("1" if token.sentence in quoted_sentences else "0"),
            "that+=" + ("1" if "that" in following else "0"),
            "b",
            "w=" + w,
            "st=" + stems[i],
            "sh=" + shapes[i],
            "s3=" + w[-3:],
            "q=" + ("1" if token.in_quote else "0"),
            "lem=" + lexical[i][0],
            "pos=" + lexical[i][1],
        ]
        if i == 0:
            f.append("BOP")
        elif tokens[i - 1].sentence != token.sentence:
            f.append("BOS")
        if i == n - 1:
            f.append("EOP")
        for offset in (-3, 3):
            j = i + offset
            f.append(f"w{offset}={lowers[j] if 0 <= j < n else '<pad>'}")
        for offset in (-2, -1, 1, 2):
            j = i + offset
            if 0 <= j < n:
                f.append(f"w{offset}={lowers[j]}")
                f.append(f"sh{offset}={shapes[j]}")
                f.append(f"pos{offset}={lexical[j][1]}")
                if offset in (-1, 1):
                    f.append(f"st{offset}={stems[j]}")
                    f.append(f"lem{offset}={lexical[j][0]}")
                    f.append(f"q{offset}={'1' if tokens[j].in_quote else '0'}")
            else:
                f.append(f"w{offset}=<pad>")
        if i > 0:
            f.append(f"pb-={lexical[i - 1][1]}|{lexical[i][1]}")
            if tokens[i - 1].text in QUOTE_CHARS:
                f.append("afterquote=" + ("in" if token.in_quote else "out"))
        if i + 1 < n:
            f.append(f"pb+={lexical[i][1]}|{lexical[i + 1][1]}")
            if tokens[i + 1].text in QUOTE_CHARS:
                f.append("beforequote=" + ("in" if token.in_quote else "out"))
        if i + 1 < n:
            f.append(f"bi+={w}|{lowers[i + 1]}")
        if i > 0:
            f.append(f"bi-={lowers[i - 1]}|{w}")
        out.append(f)
    return out


_BUCKET_LIMITS = (1, 2, 3, 5, 8, 12, 20, 35)
# The bucket of each distance up to the last limit, looked up: role features ask for one per token per cue.
_BUCKETS = tuple(str(next(limit for limit in _BUCKET_LIMITS if d <= limit)) for d in range(_BUCKET_LIMITS[-1] + 1))


def _distance_bucket(distance: int) -> str:
    return _BUCKETS[distance] if 0 <= distance < len(_BUCKETS) else ("far" if distance > 0 else "1")


def role_features(
    paragraph: Paragraph,
    base: list[list[str]],
    cue: tuple[int, int],
    cue_mask: Sequence[bool],
) -> list[list[str]]:
    """Features of each token relative to one cue (token range [a, b)) of the paragraph.

    `cue_mask` marks the tokens of every cue found in the paragraph, so a token can tell
    whether another cue stands between it and this one (then it likely belongs to that one).
    """
    tokens = paragraph.tokens
    a, b = cue
    cue_words = " ".join(t.text.lower() for t in tokens[a:b])
    cue_stem = _lexical(tokens[b - 1].text)[0]
    cue_sentence = tokens[a].sentence
    cue_quoted = tokens[a].in_quote
    # other cues before/after each position: prefix sums over the mask outside [a, b)
    other = [bool(m) and not (a <= i < b) for i, m in enumerate(cue_mask)]
    prefix = [0]
    for flag in other:
        prefix.append(prefix[-1] + flag)
    # quotation segments: a new one at every quotation mark, so "inside the same quote as the cue"
    # and "the quote right after the cue" are visible
    segments: list[int] = []
    segment = 0
    for token in tokens:
        if token.text in QUOTE_CHARS:
            segment += 1
        segments.append(segment)
    # the nearest comma or colon on each side of the cue, within its sentence: "X, a spokesman
    # said" / "said: Y" put the content beyond the punctuation and the source between
    left_break = next(
        (j for j in range(a - 1, -1, -1) if tokens[j].text in ",:" and tokens[j].sentence == cue_sentence), -1
    )
    right_break = next(
        (j for j in range(b, len(tokens)) if tokens[j].text in ",:" and tokens[j].sentence == tokens[b - 1].sentence),
        -1,
    )
    left_gap = _distance_bucket(a - left_break) if left_break >= 0 else "none"
    right_gap = _distance_bucket(right_break - b + 1) if right_break >= 0 else "none"
    out: list[list[str]] = []
    for i, token in enumerate(tokens):
        if i < a:
            side, distance = "L", a - i
            between = prefix[a] - prefix[i + 1]
        elif i >= b:
            side, distance = "R", i - b + 1
            between = prefix[i] - prefix[b]
        else:
            side, distance = "C", 0
            between = 0
        bucket = _distance_bucket(distance)
        same_sentence = "1" if token.sentence == cue_sentence else ("p" if token.sentence < cue_sentence else "n")
        f = list(base[i])
        w = token.text.lower()
        between_tag = "0" if between == 0 else ("1" if between == 1 else "2")
        f += [
            "side=" + side,
            "d=" + side + bucket,
            "ss=" + side + same_sentence,
            "cue=" + cue_words + "|" + side,
            "cst=" + cue_stem + "|" + side,
            "cd=" + cue_stem + "|" + side + bucket,
            "oc=" + between_tag + side,
            "ocs=" + between_tag + side + same_sentence,
            "sw=" + side + w,
            "sq=" + side + ("1" if token.in_quote else "0") + ("1" if cue_quoted else "0"),
            "cq=" + cue_words + "|" + side + ("1" if token.in_quote else "0"),
            "seg=" + side + str(max(-2, min(2, segments[i] - segments[a]))),
        ]
        if side == "L" and left_break >= 0:
            where = "beyond" if i < left_break else ("at" if i == left_break else "inside")
            f.append(f"lb={where}{left_gap}{same_sentence}")
        elif side == "R" and right_break >= 0:
            where = "beyond" if i > right_break else ("at" if i == right_break else "inside")
            f.append(f"rb={where}{right_gap}{same_sentence}")
        if other[i]:
            f.append("othercue")
        if side == "C":
            f.append("incue")
        out.append(f)
    return out


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


class AttributionModelMissing(RuntimeError):
    """The shipped model files are absent (run scripts/train_attributions.py)."""


@functools.cache
def _taggers(model_dir: str) -> tuple[pycrfsuite.Tagger, pycrfsuite.Tagger]:
    cue_path = Path(model_dir) / CUE_MODEL
    role_path = Path(model_dir) / ROLE_MODEL
    if not cue_path.is_file() or not role_path.is_file():
        raise AttributionModelMissing(f"attribution model not found in {model_dir}")
    cue_tagger = pycrfsuite.Tagger()
    cue_tagger.open(str(cue_path))
    role_tagger = pycrfsuite.Tagger()
    role_tagger.open(str(role_path))
    return cue_tagger, role_tagger


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
CUE_THRESHOLD = 0.45  # tuned on dev (0.35-0.5 within 0.008 attribution F1); Viterbi is in effect 0.5


def decode_cues(
    cue_tagger: pycrfsuite.Tagger, base: list[list[str]], threshold: float = CUE_THRESHOLD
) -> list[tuple[int, int, float]]:
    """Cue token ranges with their confidence: runs of tokens whose marginal probability of
    being in a cue reaches the threshold, a new cue starting where a token is more likely a
    cue's first token."""
    cue_tagger.set(base)
    n = len(base)
    inside = [1.0 - cue_tagger.marginal("O", i) for i in range(n)]
    # whether a cue starts at a token matters only inside one: most tokens are not (half the calls)
    begins = [cue_tagger.marginal("B-CUE", i) if inside[i] >= threshold else 0.0 for i in range(n)]
    out: list[tuple[int, int, float]] = []
    i = 0
    while i < n:
        if inside[i] >= threshold:
            j = i + 1
            while j < n and inside[j] >= threshold and begins[j] < threshold:
                j += 1
            out.append((i, j, max(inside[i:j])))
            i = j
        else:
            i += 1
    return out


SOURCE_FALLBACK = 0.25  # tuned on dev (0.2-0.4 alike)
FALLBACK_SOURCE_FACTOR = 0.7  # a source the model only half-believes makes the statement less sure


def _likely_sources(role_tagger: pycrfsuite.Tagger, n: int) -> list[tuple[int, int]]:
    """Runs of tokens whose marginal probability of being the source reaches SOURCE_FALLBACK
    (the tagger still holds the sequence it just tagged)."""
    likely = [role_tagger.marginal("B-SRC", i) + role_tagger.marginal("I-SRC", i) >= SOURCE_FALLBACK for i in range(n)]
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
    return _lexical(word)[0] in STATEMENT_LEMMAS  # lemmas are lower case


def is_statement_cue(cue: str) -> bool:
    """Whether a cue's words make a statement (STATEMENT_LEMMAS), not denied ("did not say how
    many"); a colon introducing words is one."""
    words = re.findall(r"\w+", cue)
    if NEGATION_RE.search(cue):
        return False
    return not words or any(_is_statement_word(w) for w in words)


SENTENCE_RULE_CONFIDENCE = 0.9  # an attribution read by a sentence pattern below


def _opening_according_to(
    text: str, tokens: Sequence[Token], found: list[tuple[float, set[int], Attribution]]
) -> list[tuple[float, set[int], Attribution]]:
    """`found`, with each sentence opening "According to SOURCE, CLAUSE" read as SOURCE's
    statement of CLAUSE (see SENTENCE_ACCORDING_RE); the tagger's cues inside such a clause
    that are no verbs of saying are dropped."""
    for members in sentence_groups(tokens).values():
        first, last = members[0], members[-1]
        match = SENTENCE_ACCORDING_RE.match(text, tokens[first].start, tokens[last].end)
        if not match:
            continue
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


def extract_paragraph(
    text: str,
    paragraph: Paragraph,
    cue_tagger: pycrfsuite.Tagger,
    role_tagger: pycrfsuite.Tagger,
    *,
    statements_only: bool = False,
) -> list[Attribution]:
    tokens = paragraph.tokens
    if statements_only and not any(t.text == ":" or _is_statement_word(t.text) for t in tokens):
        return []  # no word here could be the cue of a statement: the taggers need not run
    base = base_features(paragraph)
    cues = decode_cues(cue_tagger, base)
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
        tags = role_tagger.tag(role_features(paragraph, base, (a, b), mask))
        content_ranges = chunks(tags, "CON")
        sources = [r for r in chunks(tags, "SRC") if _word_tokens(tokens, *r)]
        if sum(len(_word_tokens(tokens, *r)) for r in content_ranges) <= 1:
            before = _clause_before(tokens, (a, b))  # "..., the capital's police chief said."
            if before is not None:
                content_ranges, sources = [before[0]], [before[1]]
        content = _content_segments(tokens, content_ranges)
        if not content:
            continue
        fallback = not sources
        if fallback:  # Viterbi left the source out: take a likely one when the model half-believes it
            sources = _likely_sources(role_tagger, len(tokens))
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
    """Every attribution found in cleaned article text, in text order; with `statements_only`,
    only those whose cue makes a statement (`is_statement_cue`), as drafts show: the others are
    not tagged at all, so none of them can take a statement's words from it."""
    cue_tagger, role_tagger = _taggers(str(model_dir))
    out: list[Attribution] = []
    for paragraph in paragraphs(text):
        out += extract_paragraph(text, paragraph, cue_tagger, role_tagger, statements_only=statements_only)
    return out
