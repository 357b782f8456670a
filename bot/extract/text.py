"""Tokens, sentences, paragraphs and quotation state of cleaned article text.

Owns the shared text layer of extraction: every later step (attribution tagging, claims, key
points) works on the `Token` offsets made here, which are Python str indices into the text as
read (UTF-8, newline=''), so every extracted span is a verbatim slice of the article.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

# Dotted abbreviations ("U.S.", "a.m.") stay one token; everything else is a word or one symbol.
# "''" and "``" (typewriter quotation marks) are one token each.
TOKEN_RE = re.compile(r"(?:[A-Za-z]\.){2,}|''|``|\w+|[^\w\s]", re.UNICODE)
WORD_RE = re.compile(r"\w", re.UNICODE)
WORDS_RE = re.compile(r"\w+", re.UNICODE)
OPEN_QUOTES = frozenset("“„«")
CLOSE_QUOTES = frozenset("”»")
TOGGLE_QUOTES = frozenset({'"', "''", "``"})
QUOTE_CHARS: frozenset[str] = OPEN_QUOTES | CLOSE_QUOTES | TOGGLE_QUOTES
SENTENCE_END = frozenset(".?!")
# Words after which a full stop does not end a sentence ("Gov. Mike Pence").
ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "gov",
        "sen",
        "rep",
        "st",
        "jr",
        "sr",
        "gen",
        "col",
        "lt",
        "sgt",
        "capt",
        "cmdr",
        "adm",
        "prof",
        "rev",
        "hon",
        "pres",
        "sept",
        "sep",
        "oct",
        "nov",
        "dec",
        "jan",
        "feb",
        "mar",
        "apr",
        "aug",
        "no",
        "vs",
        "inc",
        "corp",
        "co",
        "ltd",
        "dept",
        "fig",
        "est",
        "approx",
    ]
)


class Token(NamedTuple):
    """A word or symbol: a tuple, as drafting makes one per token of every article (a frozen
    dataclass took twice as long to build)."""

    start: int
    end: int
    text: str
    sentence: int  # index of the sentence within its paragraph
    in_quote: bool  # inside double quotation marks (a quote mark itself counts as inside)


@dataclass(frozen=True, slots=True)
class Paragraph:
    start: int
    end: int
    tokens: tuple[Token, ...]


def _quote_states(raw: list[tuple[int, int, str]]) -> list[bool]:
    """Per token: inside a double quotation? Straight quotes toggle; curly ones open and close.

    A paragraph that opens a quote and never closes it (a quotation running on into the next
    paragraph, as news style does) stays inside to its end.
    """
    states: list[bool] = []
    inside = False
    for _, _, text in raw:
        if text in OPEN_QUOTES:
            inside = True
            states.append(True)
        elif text in CLOSE_QUOTES:
            states.append(True)
            inside = False
        elif text in TOGGLE_QUOTES:
            states.append(True)
            inside = not inside
        else:
            states.append(inside)
    return states


def _sentence_ids(raw: list[tuple[int, int, str]]) -> list[int]:
    ids: list[int] = []
    sentence = 0
    pending_break = False
    for i, (_, _, text) in enumerate(raw):
        if pending_break and text not in QUOTE_CHARS and text not in ")’'":
            sentence += 1
            pending_break = False
        ids.append(sentence)
        if text in SENTENCE_END:
            previous = raw[i - 1][2].lower() if i else ""
            following = raw[i + 1][2] if i + 1 < len(raw) else ""
            abbreviation = text == "." and (previous in ABBREVIATIONS or len(previous) == 1)
            if not abbreviation and (not following or following[0].isupper() or following in QUOTE_CHARS):
                pending_break = True
    return ids


def tokenize_paragraph(text: str, start: int, end: int) -> Paragraph:
    raw = [(m.start(), m.end(), m.group()) for m in TOKEN_RE.finditer(text, start, end)]
    quotes = _quote_states(raw)
    sentences = _sentence_ids(raw)
    tokens = tuple(map(Token._make, ((*r, s, q) for r, s, q in zip(raw, sentences, quotes, strict=True))))
    return Paragraph(start, end, tokens)


MAX_PARAGRAPH_CHARS = 1500  # longer lines are cut at sentence ends: tagging cost grows with length²


def _pieces(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """[start, end) cut into pieces of at most MAX_PARAGRAPH_CHARS, at a sentence end if any,
    else at a space, else anywhere."""
    out: list[tuple[int, int]] = []
    while end - start > MAX_PARAGRAPH_CHARS:
        limit = start + MAX_PARAGRAPH_CHARS
        cut = max(text.rfind(". ", start, limit), text.rfind("? ", start, limit), text.rfind("! ", start, limit))
        cut = cut + 1 if cut > start else text.rfind(" ", start, limit)
        if cut <= start:
            cut = limit
        out.append((start, cut))
        start = cut
    out.append((start, end))
    return out


@functools.lru_cache(maxsize=4)
def paragraphs(text: str) -> tuple[Paragraph, ...]:
    """Non-empty lines of the text, each tokenized; the units attribution tagging works on.
    Cached for the last few texts: drafting one article reads them for attributions, claims
    and key points."""
    out: list[Paragraph] = []
    position = 0
    for line in text.split("\n"):
        end = position + len(line)
        if line.strip():
            for start, stop in _pieces(text, position, end):
                paragraph = tokenize_paragraph(text, start, stop)
                if paragraph.tokens:
                    out.append(paragraph)
        position = end + 1
    return tuple(out)


def sentence_groups(tokens: Sequence[Token]) -> dict[int, list[int]]:
    """The indices of a paragraph's tokens, by sentence, in order."""
    groups: dict[int, list[int]] = {}
    for i, token in enumerate(tokens):
        groups.setdefault(token.sentence, []).append(i)
    return groups


def has_word(text: str) -> bool:
    return bool(WORD_RE.search(text))


def word_count(text: str) -> int:
    return len(WORDS_RE.findall(text))
