"""Search over article texts and statements (SQLite FTS5, indexes kept by triggers: schema 0009).

Any input gives results or a plain message, never an error: the query is tried as FTS5 syntax
first (phrases in quotes, OR, NOT, NEAR, prefixes with *), and where that is not valid syntax
("Kherson-based", an unbalanced quote, a lone AND), its words are searched for instead, all of
them; valid syntax that matches nothing is answered so, not loosened. Snippets are cut by FTS5
around the matches and handed on as (text, matched) pieces, so a renderer escapes every piece of
article text and marks the matches itself. Results are ranked by bm25 over every match: a word
found in all of 10,000 articles costs about 30 ms (bench/web.py).
"""

from __future__ import annotations

import re
import sqlite3

from bot.core.db import Store
from bot.core.models import ArticleHit, QuoteItem, SearchAnswer, Snippet
from bot.core.queries import ARTICLE_COLUMNS, SourceCache, quote_from_row, shown_condition, source_from_row
from bot.core.speakers import SpeakerRegistry

MAX_QUERY = 200  # characters searched for; longer input is cut
ARTICLE_HITS = 20
QUOTE_HITS = 20
SNIPPET_TOKENS = 28
_OPEN, _CLOSE = "\x02", "\x03"  # match markers: never in cleaned article text
_WORD = re.compile(r"\w+", re.UNICODE)


def _words_query(text: str) -> str:
    """Every word of the input, each as a quoted FTS5 string (so none is read as an operator)."""
    return " ".join(f'"{w}"' for w in _WORD.findall(text))


def _snippet(marked: str) -> Snippet:
    pieces: list[tuple[str, bool]] = []
    for n, part in enumerate(re.split(f"[{_OPEN}{_CLOSE}]", marked)):
        if part:
            pieces.append((part, n % 2 == 1))
    return Snippet(tuple(pieces))


def _run(store: Store, speakers: SpeakerRegistry, fts: str, include_drafts: bool) -> SearchAnswer:
    articles = store.rows(
        f"SELECT {ARTICLE_COLUMNS}, snippet(articles_fts, 1, ?, ?, ' … ', ?) AS snip"
        " FROM articles_fts JOIN articles a ON a.rowid = articles_fts.rowid"
        " WHERE articles_fts MATCH ? ORDER BY rank LIMIT ?",
        [_OPEN, _CLOSE, SNIPPET_TOKENS, fts, ARTICLE_HITS],
    )
    quotes = store.rows(
        f"SELECT q.*, {ARTICLE_COLUMNS} FROM quotes_fts JOIN quotes q ON q.rowid = quotes_fts.rowid"
        " JOIN articles a ON a.id = q.article_id"
        f" WHERE quotes_fts MATCH ?{shown_condition(include_drafts, 'q')} ORDER BY rank LIMIT ?",
        [fts, QUOTE_HITS],
    )
    source_of = SourceCache()
    hits = tuple(ArticleHit(source_from_row(r), _snippet(r["snip"] or "")) for r in articles)
    found: tuple[QuoteItem, ...] = tuple(quote_from_row(r, source_of(r), speakers) for r in quotes)
    return SearchAnswer("", hits, found)


def search(store: Store, speakers: SpeakerRegistry, query: str, *, include_drafts: bool = True) -> SearchAnswer:
    text = " ".join(query.split())[:MAX_QUERY]
    if not _WORD.search(text):
        return SearchAnswer(text, message="Type one or more words to search the articles and statements for.")
    for fts in dict.fromkeys((text, _words_query(text))):
        try:
            found = _run(store, speakers, fts, include_drafts)
        except sqlite3.OperationalError:  # not FTS5 syntax: the plain words next
            continue
        if found.articles or found.quotes:
            return SearchAnswer(text, found.articles, found.quotes)
        break  # valid syntax that matches nothing ("a phrase" in another order) is not loosened
    return SearchAnswer(text, message=f"Nothing matches “{text[:60]}” in the stored articles and statements.")
