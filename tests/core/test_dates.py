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
