"""The shared text cleaner on the seed page and on hostile pasted text."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot.ingest.clean import clean_paragraphs, clean_pasted_text

SEED = Path("/work/shared/seed/newsweek-2022-12-08-kremlin-territory.txt")


def test_seed_header_is_read() -> None:
    cleaned = clean_pasted_text(SEED.read_text(encoding="utf-8"))
    assert cleaned.title == "Kremlin Says Russia Is Done Taking Territory From Ukraine"
    assert cleaned.publisher == "Newsweek"
    assert cleaned.published == dt.date(2022, 12, 8)
    assert cleaned.author == "Anna Skinner"


def test_seed_chrome_is_gone_and_body_kept() -> None:
    cleaned = clean_pasted_text(SEED.read_text(encoding="utf-8"))
    for chrome in (
        "older browser version",
        "UP NEXT",
        "Related Articles",
        "unlimited Newsweek trial",
        "AdChoices",
        "image beacon",
        "Newsweek 12/8/2022",
    ):
        assert chrome not in cleaned.text
    assert cleaned.paragraphs[1] == (
        "The Kremlin is done seizing territory from Ukraine, a Russian spokesperson said Thursday."
    )
    assert cleaned.paragraphs[-1] == (
        "Newsweek reached out to the Center for Strategic and International Studies for comment."
    )
    assert "Kremlin spokesman Dmitry Peskov said Russia has no plans to seize more territory" in cleaned.text
    assert len(cleaned.paragraphs) == 12


def test_seed_caption_is_marked_once() -> None:
    cleaned = clean_pasted_text(SEED.read_text(encoding="utf-8"))
    assert len(cleaned.captions) == 1
    cap = cleaned.captions[0]
    assert cleaned.text[cap.start : cap.end] == cap.text
    assert cap.text.startswith("In this combination image, Local residents hug")
    assert cap.text.endswith("© Getty")  # the repeated alt text after the credit is dropped
    assert cleaned.text.count("In this combination image") == 1
    assert not cleaned.body.startswith("In this combination")
    assert cleaned.body.startswith("The Kremlin is done seizing territory")


def test_text_is_paragraphs_joined() -> None:
    cleaned = clean_pasted_text(SEED.read_text(encoding="utf-8"))
    assert cleaned.text == "\n\n".join(cleaned.paragraphs)


def test_empty_and_all_chrome_give_empty_text() -> None:
    assert clean_pasted_text("").text == ""
    only_chrome = clean_pasted_text("UP NEXT\nAdChoices\n\nimage beaconimage beacon\nRelated Articles\n")
    assert only_chrome.text == ""
    assert only_chrome.title is None


def test_text_without_header_keeps_first_line() -> None:
    cleaned = clean_pasted_text("Kyiv said on Monday it had retaken the village.\n\nFighting goes on.\r\n")
    assert cleaned.title is None and cleaned.published is None
    assert cleaned.paragraphs == ("Kyiv said on Monday it had retaken the village.", "Fighting goes on.")


def test_control_characters_and_nbsp_normalised() -> None:
    cleaned = clean_paragraphs(["A\u00a0line\x00 with\u200b  odd   spacing", "Advertisement", "Body."])
    assert cleaned.paragraphs == ("A line with odd spacing", "Body.")


def test_by_line_and_iso_date() -> None:
    cleaned = clean_pasted_text("A headline\nBy Jane Roe\n2024-08-08\nFirst paragraph.\nSecond.")
    assert cleaned.title == "A headline"
    assert cleaned.author == "Jane Roe"
    assert cleaned.published == dt.date(2024, 8, 8)
    assert cleaned.paragraphs == ("First paragraph.", "Second.")


def test_curated_seed_text_is_the_cleaners_output() -> None:
    """The hand-curated seed digest stands on exactly what the ingest cleaner makes of the page."""
    from tests.conftest import SEED_ID, SHARED, SUMMARIES

    raw = (SHARED / "seed" / "newsweek-2022-12-08-kremlin-territory.txt").read_text("utf-8")
    cleaned = clean_pasted_text(raw)
    assert (SUMMARIES / f"{SEED_ID}.txt").read_text("utf-8") == cleaned.text
    assert (cleaned.title, cleaned.publisher, cleaned.author) == (
        "Kremlin Says Russia Is Done Taking Territory From Ukraine",
        "Newsweek",
        "Anna Skinner",
    )
