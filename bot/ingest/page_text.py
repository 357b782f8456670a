"""Main text and metadata of an HTML article page: decoding, extraction, cleaning.

Owns the step from page bytes to a `ExtractedArticle`: the body (chrome gone, captions marked,
through the shared cleaner in `clean.py`), title, author, publication date, outlet, canonical
URL and language.

Why trafilatura: on the 91 benchmark pages in shared/data/articles/html it is the best-scoring
maintained Python extractor (the benchmark's table: trafilatura 0.958, newspaper4k 0.949,
readability.js 0.947, goose3 0.896), and it reads metadata (JSON-LD, OpenGraph, htmldate) too.
We run it with `favor_precision=True, include_comments=False` (comment threads are never the
article), after removing hover cards and hidden elements that inline-expand into the text, and
then drop whole chrome lines with the shared cleaner. `bench/ingest.py` measures this against
trafilatura's defaults in the same run. When the precise pass finds too little text we retry
with `favor_recall=True`, then trafilatura's own baseline, before refusing the page.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import trafilatura
from charset_normalizer import from_bytes
from lxml import etree
from trafilatura.utils import load_html

from bot.core.models import Span
from bot.ingest.clean import CleanedText, ExtractionError, clean_paragraphs, normalise_line
from bot.ingest.language import detect_language

FAST = True  # skip trafilatura's readability/jusText comparison on the first pass (see bench)
MIN_BODY_CHARS = 200  # below this the precise pass probably missed the article; retry
MIN_ACCEPTED_CHARS = 40  # below this there is no article at all
MIN_SENTENCE_WORDS = 8  # a page whose longest paragraph is shorter is a menu, not an article

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
# Inline expansions that are not part of the sentence they sit in: The Hill's "rollover" people
# cards, tooltips and pop-overs. Removing them keeps "Rep. Ilhan Omar (D-Minn.)" readable.
_HOVER_CLASSES = re.compile(
    r"(^|\s)([\w-]*rollover[\w-]*-block|hovercard|hover-card|[\w-]*popover-content)(\s|$)", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class ExtractedArticle:
    """What one page says about itself and its cleaned body."""

    title: str | None
    author: str | None
    published: dt.date | None
    publisher: str | None
    canonical_url: str | None
    language: str | None
    paragraphs: tuple[str, ...]
    captions: tuple[Span, ...] = field(default=())
    text: str = ""
    description: str | None = None


def decode_html(data: bytes, declared: str | None = None) -> str:
    """Bytes -> text: valid UTF-8 wins (a wrong declaration is common), then the declared or
    meta charset, then charset-normalizer's best guess, and never an exception."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    candidates = [declared] if declared else []
    m = _META_CHARSET.search(data[:4096])
    if m:
        candidates.append(m.group(1).decode("ascii", "replace"))
    for enc in candidates:
        try:
            return data.decode(enc)
        except (LookupError, UnicodeDecodeError):
            continue
    best = from_bytes(data).best()
    if best is not None:
        return str(best)
    return data.decode("utf-8", errors="replace")


MAX_LINKS = 20_000  # a page with more links than this is a link list (or an attack), not an article
MAX_ELEMENTS = 200_000


def _parse_tree(html: str) -> etree._Element:
    # trafilatura's own loader: its extraction is tuned to the trees it builds.
    tree = load_html(html)
    if tree is None:
        raise ExtractionError("not an HTML page (the parser found no document)")
    # Extraction time and memory grow with the number of elements: bound them before extracting.
    links = 0
    for elements, element in enumerate(tree.iter(), start=1):
        links += element.tag == "a"
        if links > MAX_LINKS or elements > MAX_ELEMENTS:
            what = f"{MAX_LINKS:,} links" if links > MAX_LINKS else f"{MAX_ELEMENTS:,} elements"
            raise ExtractionError(f"more than {what}: a link list or a generated page, not an article")
    return tree


_HOVER_XPATH = (
    "//*[contains(@class, 'rollover') or contains(@class, 'hovercard') or contains(@class, 'hover-card')"
    " or contains(@class, 'popover-content')]"
)
_CAPTION_XPATH = (
    "//figcaption | //*[self::p or self::span or self::div]"
    "[contains(@class, 'caption') or contains(@class, 'Caption') or contains(@class, 'credit')]"
)


def _strip_inline_noise(tree: etree._Element) -> list[str]:
    """Remove hover cards; return the caption texts found on the page."""
    drop = [el for el in tree.xpath(_HOVER_XPATH) if _HOVER_CLASSES.search(el.get("class") or "")]
    captions = [t for el in tree.xpath(_CAPTION_XPATH) if (t := normalise_line(el.text_content()))]
    for el in drop:
        parent = el.getparent()
        if parent is None or el.tag in {"html", "body"}:
            continue
        # Keep the tail text (the sentence goes on after the card).
        if el.tail:
            prev = el.getprevious()
            if prev is not None:
                prev.tail = (prev.tail or "") + el.tail
            else:
                parent.text = (parent.text or "") + el.tail
        parent.remove(el)
    return captions


def looks_like_prose(paragraphs: list[str]) -> bool:
    """An article has at least one sentence-length paragraph, not only menu items and links."""
    total = sum(len(p) for p in paragraphs)

    def sentence_like(p: str) -> bool:
        words = len(p.split())
        # Japanese, Chinese, Thai write without spaces: count characters instead.
        return words >= MIN_SENTENCE_WORDS or (len(p) >= 40 and words * 20 < len(p))

    return total >= MIN_ACCEPTED_CHARS and any(sentence_like(p) for p in paragraphs)


def strip_site_suffix(title: str | None, publisher: str | None) -> str | None:
    """'New York ... WeWork – TechCrunch' -> 'New York ... WeWork' (the outlet is stored apart)."""
    if not title or not publisher:
        return title
    for sep in (" - ", " – ", " — ", " | ", " :: "):
        suffix = f"{sep}{publisher}"
        if title.casefold().endswith(suffix.casefold()) and len(title) > len(suffix) + 10:
            return title[: -len(suffix)].rstrip()
    return title


def _date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def _run_trafilatura(tree: etree._Element, url: str | None, **options: object) -> trafilatura.settings.Document | None:
    found = trafilatura.bare_extraction(
        tree,
        url=url,
        include_comments=False,
        with_metadata=True,
        deduplicate=False,
        # Publication date from the page's markup only (meta tags, JSON-LD, <time>, the URL):
        # a date merely mentioned in the text ("May 9, 2022" in a caption) is not when the
        # article was published; a feed's date or the fetch date is the better fallback.
        date_extraction_params={"extensive_search": False, "original_date": True},
        **options,  # type: ignore[arg-type]
    )
    return found if isinstance(found, trafilatura.settings.Document) else None


def extract_body_text(html: str, url: str | None = None) -> str:
    """Only the cleaned body text (used by the benchmark for scoring)."""
    return extract_html(html, url).text


def extract_html(html: str, url: str | None = None) -> ExtractedArticle:
    """Extract an article from an HTML page (already decoded text). Raises ExtractionError."""
    if not html or not html.strip():
        raise ExtractionError("empty document")
    tree = _parse_tree(html)
    declared_lang = tree.get("lang")
    page_captions = _strip_inline_noise(tree)
    doc = None
    passes: tuple[dict[str, bool], ...] = ({"favor_precision": True, "fast": FAST}, {"favor_recall": True}, {})
    for i, options in enumerate(passes):
        # bare_extraction prunes the tree it is given: a later (rare) pass re-parses the page.
        work = tree
        if i > 0:
            work = _parse_tree(html)
            _strip_inline_noise(work)
        candidate = _run_trafilatura(work, url, **options)
        if candidate is not None and len(candidate.text or "") >= MIN_BODY_CHARS:
            doc = candidate
            break
        if candidate is not None and (doc is None or len(candidate.text or "") > len(doc.text or "")):
            doc = candidate
    if doc is None or not looks_like_prose((doc.text or "").split("\n")):
        raise ExtractionError("no article text found on the page")
    lines = (doc.text or "").split("\n")
    title = normalise_line(doc.title) if doc.title else None
    if lines and title and normalise_line(lines[0]) == title:
        lines = lines[1:]  # the headline is metadata, not the body's first paragraph
    cleaned: CleanedText = clean_paragraphs(lines)
    if len(cleaned.text) < MIN_ACCEPTED_CHARS:
        raise ExtractionError("no article text left after removing page chrome")
    # Paragraphs that are the page's own figure captions are marked too.
    caption_set = set(page_captions)
    spans = list(cleaned.captions)
    marked = {s.start for s in spans}
    offset = 0
    for p in cleaned.paragraphs:
        if p in caption_set and offset not in marked:
            spans.append(Span(offset, offset + len(p), p))
        offset += len(p) + 2
    spans.sort(key=lambda s: s.start)
    author = normalise_line(doc.author) if doc.author else None
    publisher = normalise_line(doc.sitename) if doc.sitename else None
    title = strip_site_suffix(title, publisher)
    return ExtractedArticle(
        title=title or None,
        author=author or None,
        published=_date(doc.date),
        publisher=publisher,
        canonical_url=doc.url or url,
        language=detect_language(cleaned.text, declared_lang),
        paragraphs=cleaned.paragraphs,
        captions=tuple(spans),
        text=cleaned.text,
        description=normalise_line(doc.description) if doc.description else None,
    )
