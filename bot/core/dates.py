"""Dates as news copy writes them ("in September", "this month", "Thursday"), resolved
against an article's publication date with dateparser.

News convention differs from dateparser's on one point: in an article published on a
Thursday, "said Thursday" means that very day, while dateparser (preferring past dates)
goes back a week. A weekday therefore resolves to the most recent such day, the publication
day included.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cache, lru_cache

from dateparser.date import DateDataParser

_LEADING = re.compile(r"^(in|on|since|during|by|as of|earlier|late|early)\s+", re.IGNORECASE)
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_ISO = re.compile(r"^\d{4}(-\d{2}){0,2}$")
_MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
# Phrases relative to the publication day, resolved as dateparser does (tested against it):
# (precision, and how many days, months or years back).
_RELATIVE: dict[str, tuple[str, int]] = {
    "today": ("day", 0),
    "yesterday": ("day", 1),
    "this week": ("week", 0),
    "last week": ("week", 7),
    "this month": ("month", 0),
    "last month": ("month", 1),
    "this year": ("year", 0),
    "last year": ("year", 1),
}
_MONTH = re.compile(rf"^({'|'.join(_MONTHS)})(?:\s+(\d{{4}}))?$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ResolvedDate:
    date: dt.date
    precision: str  # "day" | "week" | "month" | "year"
    text: str


class DateError(ValueError):
    pass


@cache
def _parser(base: dt.date) -> DateDataParser:
    return DateDataParser(
        languages=["en"],
        settings={
            "RELATIVE_BASE": dt.datetime(base.year, base.month, base.day, 12),
            "PREFER_DATES_FROM": "past",
            "PREFER_DAY_OF_MONTH": "first",
        },
    )


def _back(published: dt.date, precision: str, amount: int) -> dt.date:
    """The start of the day, week, month or year `amount` back from `published`."""
    if precision == "month":
        months = published.year * 12 + published.month - 1 - amount
        return dt.date(months // 12, months % 12 + 1, 1)
    if precision == "year":
        return dt.date(published.year - amount, 1, 1)
    return published - dt.timedelta(days=amount)


@lru_cache(maxsize=8192)  # dateparser takes ~1.5 ms a call; phrases repeat across a corpus
def resolve_date(text: str, published: dt.date) -> ResolvedDate:
    """'in November' against 2022-12-08 -> 2022-11 (month); 'Thursday' -> 2022-12-08 (day)."""
    raw = text.strip()
    if not raw:
        raise DateError("empty date")
    if _ISO.match(raw):
        parts = raw.split("-")
        precision = {1: "year", 2: "month", 3: "day"}[len(parts)]
        try:
            date = dt.date(
                int(parts[0]), int(parts[1]) if len(parts) > 1 else 1, int(parts[2]) if len(parts) > 2 else 1
            )
        except ValueError as exc:
            raise DateError(f"{raw!r} is not a valid date") from exc
        return ResolvedDate(date, precision, raw)
    phrase = _LEADING.sub("", raw)
    lowered = phrase.lower().rstrip(".")
    if lowered in _WEEKDAYS:
        back = (published.weekday() - _WEEKDAYS.index(lowered)) % 7
        return ResolvedDate(published - dt.timedelta(days=back), "day", raw)
    relative = _RELATIVE.get(lowered)
    if relative is not None:
        return ResolvedDate(_back(published, *relative), relative[0], raw)
    month = _MONTH.match(phrase)
    if month:
        # The commonest phrase in news copy, resolved as dateparser does ("September": the
        # latest September not after publication) at a thousandth of its cost.
        number = _MONTHS.index(month.group(1).lower()) + 1
        year = int(month.group(2)) if month.group(2) else published.year - (number > published.month)
        return ResolvedDate(dt.date(year, number, 1), "month", raw)
    data = _parser(published).get_date_data(phrase)
    if data.date_obj is None:
        raise DateError(f"cannot read a date in {raw!r}")
    date = data.date_obj.date()
    precision = data.period or "day"
    if precision == "month":
        date = date.replace(day=1)
    elif precision == "year":
        date = date.replace(month=1, day=1)
    return ResolvedDate(date, precision, raw)


def stored_date(value: str | None) -> dt.date | None:
    """A date as the store keeps it (ISO text, or NULL)."""
    return dt.date.fromisoformat(value) if value else None


def format_date(date: dt.date | None, precision: str | None) -> str:
    if date is None:
        return ""
    if precision == "year":
        return f"{date.year}"
    if precision == "month":
        return date.strftime("%B %Y")
    return f"{date.day} {date.strftime('%b %Y')}"
