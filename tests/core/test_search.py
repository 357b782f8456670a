"""Full-text search (bot/core/search.py): FTS5 syntax or plain words, indexes kept in step with
the store by triggers through loads, reloads and removals."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.context import Context
from bot.core.articles import delete_article
from bot.core.search import search
from tests.conftest import SEED_ID


def integrity(ctx: Context) -> None:
    for table in ("articles_fts", "quotes_fts"):  # raises when an index and its table disagree
        ctx.store.execute(f"INSERT INTO {table} ({table}, rank) VALUES ('integrity-check', 1)")


def test_words_phrases_and_operators(ctx: Context) -> None:
    assert search(ctx.store, ctx.speakers, "liberate").articles[0].source.article_id == SEED_ID
    assert search(ctx.store, ctx.speakers, '"no plans to seize"').articles
    assert not search(ctx.store, ctx.speakers, '"plans no seize"').articles  # a phrase is in order
    assert search(ctx.store, ctx.speakers, "Kherson OR Atlantis").articles
    assert search(ctx.store, ctx.speakers, "liber*").articles
    assert search(ctx.store, ctx.speakers, "Peskov NOT Peskov").message  # nothing matches: said so


def test_a_snippet_marks_the_matches(ctx: Context) -> None:
    [hit] = search(ctx.store, ctx.speakers, "denazification").articles
    matched = [text for text, is_match in hit.snippet.pieces if is_match]
    assert matched and all(m.lower() == "denazification" for m in matched)
    text = ctx.store.one("SELECT text FROM articles WHERE id = ?", [SEED_ID])[0]
    for piece, _ in hit.snippet.pieces:  # every piece is the article's own text (or the "…" between)
        assert piece.strip(" …") in text


def test_statements_are_found_with_their_speaker(ctx: Context) -> None:
    quotes = search(ctx.store, ctx.speakers, "demilitarization").quotes
    assert quotes and {q.speaker for q in quotes} >= {"Dmitry Peskov"}


@pytest.mark.parametrize("query", ['"open', "AND", "(", "NEAR(", "a:b", "-", "*", "Kherson-based", "x" * 500])
def test_input_that_is_not_fts_syntax_is_searched_as_words(ctx: Context, query: str) -> None:
    found = search(ctx.store, ctx.speakers, query)
    assert found.articles or found.quotes or found.message


def test_an_empty_query_asks_for_words(ctx: Context) -> None:
    assert search(ctx.store, ctx.speakers, "  ").message == (
        "Type one or more words to search the articles and statements for."
    )


def test_the_indexes_follow_reloads_and_removals(ctx: Context, summaries_dir: Path) -> None:
    path = summaries_dir / f"{SEED_ID}.yaml"
    text = path.read_text("utf-8").replace("title: ", "title: Zanzibarish ", 1)
    path.write_text(text, "utf-8")
    ctx.load_summaries()
    integrity(ctx)
    assert search(ctx.store, ctx.speakers, "Zanzibarish").articles  # a changed title is found
    assert len(search(ctx.store, ctx.speakers, "liberate").articles) == 1  # and the old row went
    delete_article(ctx.store, SEED_ID)
    integrity(ctx)
    assert search(ctx.store, ctx.speakers, "liberate").message
    shutil.rmtree(summaries_dir)
