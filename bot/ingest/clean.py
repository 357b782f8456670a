"""Cleaning of article text: pasted pages (like the seed) and extracted bodies alike.

Owns the one cleaner every path shares, so the text a digest quotes is the same whether the
article came from a saved HTML page, a URL, a feed or a page pasted as plain text:

- `clean_pasted_text(raw)` reads a page copied from a browser as text (MSN/Newsweek style):
  the header lines give title, publisher, date and author; page chrome ("You are using an
  older browser version...", "UP NEXT", "Related Articles", trial offers, "AdChoices", image
  beacons...) is dropped; photo captions ("... © Getty ...") are kept as their own paragraph
  and marked as captions (spans into the text).
- `clean_paragraphs(paragraphs)` applies the same chrome filter, whitespace normalisation and
  caption marking to paragraphs that came from the HTML extractor.

Only the standard library and the core's plain records are used, so the core can call this.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.core.models import Span

PARAGRAPH_SEPARATOR = "\n\n"
# Control and format characters (Unicode Cc and the common Cf): zero-width spaces, joiners,
# direction marks, BOMs, soft hyphens. Tab and newline are handled by the line splitting.
_CONTROL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\xad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064"
    "\u2066-\u206f\ufeff\ufff9-\ufffb]"
)

# Whole lines that are page furniture, never article text. Anchored on both ends so an article
# sentence that merely mentions "Related Articles" is kept.
_CHROME_LINES = [
    r"you are using an older browser version\..*",
    r"please use a supported version for the best .* experience\.?",
    r"up next",
    r"related (articles|stories|coverage|content|links|topics)",
    r"(more|most) (from|popular|read).{0,40}",
    r"start your (unlimited|free) .{0,60}trial.*",
    r"(subscribe|sign up|register) (now|today)?.{0,60}(newsletter|unlimited access|subscription).*",
    r"adchoices",
    r"advertisement",
    r"(story )?continues below( advertisement)?",
    r"(image beacon)+",
    r"skip to (main )?content",
    r"share (this|on) .{0,30}",
    r"(read|see) more( here)?\.?",
    r"sponsored( content| stories)?",
    r"(?:(?:facebook|twitter|linkedin|whatsapp|email|print|copy link)\s*)+",
    r"getty images",
    r"comments?",
    r"(next|previous) (article|story|slide)",
    r"view (gallery|comments|\d+ images?)",
]
_CHROME = re.compile(r"^\s*(?:" + "|".join(_CHROME_LINES) + r")\s*$", re.IGNORECASE)

# A photo caption as MSN and wire pages paste it: "<caption> © <credit> [<alt text again>]",
# or a trailing credit "Photograph: ..." / "Photo: ..." / "(Getty Images)".
_CREDIT = re.compile(
    r"(©\s*\S+|\bPhotograph:\s*\S+|\bPhoto(?:graph)?\s*(?:credit)?:\s*\S+|\((?:Getty|AP|Reuters|AFP)[^)]*\)\s*$"
    r"|\bImage (?:credit|source):\s*\S+)",
    re.IGNORECASE,
)

# Header line of a pasted MSN page: "Newsweek 12/8/2022 Anna Skinner" (US month/day/year).
_MSN_BYLINE = re.compile(
    r"^(?P<publisher>\S.*?)\s+(?P<month>\d{1,2})/(?P<day>\d{1,2})/(?P<year>\d{4})(?:\s+(?P<author>\S.*?))?\s*$"
)
# A plain byline: "By Anna Skinner", "By Anna Skinner and Tom Smith, Reuters".
_BY_LINE = re.compile(r"^by\s+(?P<author>[^\d].{1,120}?)\s*$", re.IGNORECASE)
_ISO_DATE_LINE = re.compile(r"^(?:published|updated)?:?\s*(?P<date>\d{4}-\d{2}-\d{2})\b.*$", re.IGNORECASE)


class ExtractionError(ValueError):
    """A document holds no article text we can use; the message says why, in one line.

    Defined here (standard library only) so the ingestion pipeline can catch it without
    importing the extractor: extraction may run in worker processes only."""


@dataclass(frozen=True, slots=True)
class CleanedText:
    """An article's cleaned text and what its header said.

    `text` is the paragraphs joined by a blank line; `captions` are spans of `text` (each a whole
    paragraph) that are photo captions rather than article prose.
    """

    title: str | None
    publisher: str | None
    published: dt.date | None
    author: str | None
    paragraphs: tuple[str, ...]
    captions: tuple[Span, ...] = field(default=())
    text: str = ""

    @property
    def body(self) -> str:
        """The text without its captions (what counts as the article's own words)."""
        caption_starts = {c.start for c in self.captions}
        kept, offset = [], 0
        for p in self.paragraphs:
            if offset not in caption_starts:
                kept.append(p)
            offset += len(p) + len(PARAGRAPH_SEPARATOR)
        return PARAGRAPH_SEPARATOR.join(kept)


def normalise_line(line: str) -> str:
    """NFC, no control/format characters, no non-breaking or repeated spaces."""
    line = _CONTROL.sub(" ", unicodedata.normalize("NFC", line))
    return " ".join(line.split())  # str.split() also splits on no-break and other Unicode spaces


def is_chrome(line: str) -> bool:
    return bool(_CHROME.match(line))


def is_caption(line: str) -> bool:
    return bool(_CREDIT.search(line))


def strip_repeated_alt(caption: str) -> str:
    """'<caption> © Getty <caption>' -> '<caption> © Getty': MSN pastes the alt text again."""
    m = re.search(r"©\s*[^\s]+(?:\s+Images)?", caption)
    if not m:
        return caption
    before, after = caption[: m.start()].strip(), caption[m.end() :].strip()
    if after and before and (after == before or before.startswith(after) or after.startswith(before)):
        return caption[: m.end()].strip()
    return caption


def _assemble(
    paragraphs: Iterable[str], caption_flags: Iterable[bool]
) -> tuple[tuple[str, ...], tuple[Span, ...], str]:
    paras = tuple(paragraphs)
    spans: list[Span] = []
    offset = 0
    for p, is_cap in zip(paras, caption_flags, strict=True):
        if is_cap:
            spans.append(Span(offset, offset + len(p), p))
        offset += len(p) + len(PARAGRAPH_SEPARATOR)
    return paras, tuple(spans), PARAGRAPH_SEPARATOR.join(paras)


def clean_paragraphs(paragraphs: Iterable[str], *, drop_chrome: bool = True) -> CleanedText:
    """Normalise extracted paragraphs, drop chrome lines, mark captions.

    Repeated lines are kept: recipes, tables and lists legitimately repeat themselves.
    """
    kept: list[str] = []
    flags: list[bool] = []
    for raw in paragraphs:
        line = normalise_line(raw)
        if not line or (drop_chrome and is_chrome(line)):
            continue
        cap = is_caption(line)
        kept.append(strip_repeated_alt(line) if cap else line)
        flags.append(cap)
    paras, spans, text = _assemble(kept, flags)
    return CleanedText(None, None, None, None, paras, spans, text)


def _split_blocks(raw: str) -> list[str]:
    """A pasted page: every non-empty line is its own block (browsers paste <p> as lines)."""
    raw = raw.replace("\r\n", "\n").replace("\r", "\n")
    return [normalise_line(line) for line in raw.split("\n") if normalise_line(line)]


def _parse_byline(line: str) -> tuple[str | None, dt.date | None, str | None] | None:
    m = _MSN_BYLINE.match(line)
    if m:
        try:
            day = dt.date(int(m["year"]), int(m["month"]), int(m["day"]))
        except ValueError:
            return None
        return m["publisher"].strip(), day, (m["author"] or "").strip() or None
    m = _BY_LINE.match(line)
    if m:
        return None, None, m["author"].strip()
    m = _ISO_DATE_LINE.match(line)
    if m:
        try:
            return None, dt.date.fromisoformat(m["date"]), None
        except ValueError:
            return None
    return None


def clean_pasted_text(raw: str) -> CleanedText:
    """Clean a web page pasted as plain text; read title/publisher/date/author from its header.

    The header is the first lines before the body: the first non-chrome line is the title, and a
    following byline line ("Newsweek 12/8/2022 Anna Skinner", "By ...", "2022-12-08") gives the
    rest. A text without such a byline keeps its first line as the body's first paragraph and
    has no title. Raises nothing: an empty or all-chrome page gives an empty text.
    """
    blocks = [b for b in _split_blocks(raw) if not is_chrome(b)]
    title = publisher = author = None
    published: dt.date | None = None
    body_start = 0
    # Look for a byline among the first few blocks; the block before it is the title.
    for i, block in enumerate(blocks[:4]):
        parsed = _parse_byline(block)
        if parsed is None:
            continue
        publisher, published, author = parsed
        if i >= 1:
            title = blocks[i - 1]
        body_start = i + 1
        # "By X" followed by a date line (or the other way round).
        if body_start < len(blocks):
            extra = _parse_byline(blocks[body_start])
            if extra is not None:
                publisher = publisher or extra[0]
                published = published or extra[1]
                author = author or extra[2]
                body_start += 1
        break
    cleaned = clean_paragraphs(blocks[body_start:], drop_chrome=False)
    return CleanedText(
        title=title,
        publisher=publisher,
        published=published,
        author=author,
        paragraphs=cleaned.paragraphs,
        captions=cleaned.captions,
        text=cleaned.text,
    )
