"""Reading one document into article text and metadata: the work extraction processes do.

Owns `read_document(kind, data, charset, url)`: HTML pages go through the extractor
(`page_text.py`), plain text through the shared cleaner (`clean.py`). Kept apart from the pipeline
so a worker process imports only the extractor, not the fetcher, the store or datasketch.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.core.models import Span
from bot.ingest.clean import ExtractionError, clean_pasted_text
from bot.ingest.page_text import ExtractedArticle, decode_html, extract_html


@dataclass(frozen=True, slots=True)
class ReadDocument:
    """A document turned into article text and its self-declared metadata."""

    title: str | None
    author: str | None
    published: dt.date | None
    publisher: str | None
    canonical_url: str | None
    language: str | None
    text: str
    captions: tuple[Span, ...]
    date_source: str


def read_html(data: bytes, charset: str | None, url: str | None) -> ReadDocument:
    html = decode_html(data, charset)
    art: ExtractedArticle = extract_html(html, url)
    return ReadDocument(
        art.title,
        art.author,
        art.published,
        art.publisher,
        art.canonical_url,
        art.language,
        art.text,
        art.captions,
        "page" if art.published else "",
    )


def read_text(data: bytes, charset: str | None) -> ReadDocument:
    text = decode_html(data, charset)
    if "\x00" in text:
        raise ExtractionError("binary data, not text")
    cleaned = clean_pasted_text(text)
    return ReadDocument(
        cleaned.title,
        cleaned.author,
        cleaned.published,
        cleaned.publisher,
        None,
        None,
        cleaned.text,
        cleaned.captions,
        "header" if cleaned.published else "",
    )


def read_document(kind: str, data: bytes, charset: str | None, url: str | None) -> ReadDocument:
    return read_html(data, charset, url) if kind == "html" else read_text(data, charset)
