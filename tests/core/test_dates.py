"""News-copy dates resolved against the publication date."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.core.dates import DateError, format_date, resolve_date

PUB = dt.date(2022, 12, 8)  # a Thursday


@pytest.mark.parametrize(
    ("text", "date", "precision"),
    [
        ("Thursday", dt.date(2022, 12, 8), "day"),
        ("Wednesday", dt.date(2022, 12, 7), "day"),
        ("on Friday", dt.date(2022, 12, 2), "day"),
        ("in November", dt.date(2022, 11, 1), "month"),
        ("In September", dt.date(2022, 9, 1), "month"),
        ("this month", dt.date(2022, 12, 1), "month"),
        ("on February 24", dt.date(2022, 2, 24), "day"),
        ("2022-09", dt.date(2022, 9, 1), "month"),
        ("2022-09-30", dt.date(2022, 9, 30), "day"),
        ("2022", dt.date(2022, 1, 1), "year"),
    ],
)
def test_resolve(text: str, date: dt.date, precision: str) -> None:
    r = resolve_date(text, PUB)
    assert (r.date, r.precision) == (date, precision)


@pytest.mark.parametrize("text", ["", "   ", "the start of the war", "2022-13-01"])
def test_unreadable(text: str) -> None:
    with pytest.raises(DateError):
        resolve_date(text, PUB)


def test_format() -> None:
    assert format_date(dt.date(2022, 9, 1), "month") == "September 2022"
    assert format_date(dt.date(2022, 12, 8), "day") == "8 Dec 2022"
    assert format_date(None, None) == ""


@pytest.mark.parametrize(
    "published", [dt.date(2022, 12, 8), dt.date(2023, 1, 1), dt.date(2023, 6, 30), dt.date(2024, 2, 29)]
)
def test_month_names_resolve_as_dateparser_does(published: dt.date) -> None:
    """Month names skip dateparser (the commonest phrase, and its slowest path): the answer must
    be the one dateparser gives, for every month, before and after the publication month."""
    from dateparser.date import DateDataParser

    parser = DateDataParser(
        languages=["en"],
        settings={
            "RELATIVE_BASE": dt.datetime(published.year, published.month, published.day, 12),
            "PREFER_DATES_FROM": "past",
            "PREFER_DAY_OF_MONTH": "first",
        },
    )
    for month in (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ):
        for phrase in (month, month.lower(), f"{month} {published.year - 1}", f"{month} 2020"):
            expected = parser.get_date_data(phrase)
            assert expected.period == "month"
            got = resolve_date(f"in {phrase}", published)
            assert (got.date, got.precision) == (expected.date_obj.date().replace(day=1), "month"), phrase


@pytest.mark.parametrize(
    "published", [dt.date(2022, 12, 8), dt.date(2023, 1, 1), dt.date(2024, 3, 31), dt.date(2024, 2, 29)]
)
def test_relative_phrases_resolve_as_dateparser_does(published: dt.date) -> None:
    """ "this month", "yesterday"... skip dateparser too: the same answers it gives."""
    from dateparser.date import DateDataParser

    parser = DateDataParser(
        languages=["en"],
        settings={
            "RELATIVE_BASE": dt.datetime(published.year, published.month, published.day, 12),
            "PREFER_DATES_FROM": "past",
            "PREFER_DAY_OF_MONTH": "first",
        },
    )
    start = {"day": {}, "week": {}, "month": {"day": 1}, "year": {"month": 1, "day": 1}}
    phrases = ("today", "yesterday", "this week", "last week", "this month", "last month", "this year", "last year")
    for phrase in phrases:
        for written in (phrase, phrase.title(), f"since {phrase}"):
            expected = parser.get_date_data(phrase)
            got = resolve_date(written, published)
            want = expected.date_obj.date().replace(**start[expected.period])
            assert (got.date, got.precision) == (want, expected.period), written
