"""Wording shared by every renderer: claim phrases, dates, source lines, review labels.

Only labels are generated here (what kind of claim, by whom, when); the sentences shown as
evidence are always verbatim spans of stored articles.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from bot.core.dates import format_date
from bot.core.models import ClaimItem, ClaimType, QuoteItem, QuoteKind, Review, SourceRef
from bot.core.queries import COUNT_CAP
from bot.core.subscriptions import Subscription

UNREVIEWED_LABEL = "automatic, not reviewed"
NEW_LABEL = "new, not yet reviewed"
CUT_MARKER = "[…]"

_PHRASES: dict[ClaimType, str] = {
    ClaimType.ANNEXED: "{actor} annexed it",
    ClaimType.CLAIMS_SOVEREIGNTY: "{actor} claims it as its territory",
    ClaimType.REJECTS_CLAIM: "rejects {actor}'s claim as illegitimate",
    ClaimType.CONTROLS: "{actor} controls it",
    ClaimType.LACKS_CONTROL: "{actor} does not hold military control",
    ClaimType.OCCUPIED: "occupied by {actor}",
    ClaimType.WITHDREW: "{actor} withdrew forces",
    ClaimType.RECAPTURED: "{actor} took it back",
    ClaimType.CONTESTED: "contested ({actor})",
    ClaimType.FIGHTING: "fighting ({actor})",
    ClaimType.SHELLING: "shelling ({actor})",
    ClaimType.GOAL: '{actor} aims to take ("liberate") it',
}


def claim_phrase(item: ClaimItem) -> str:
    phrase = _PHRASES[item.claim].format(actor=item.actor)
    if item.place:
        phrase += f" (in {item.place})"
    when = format_date(item.date, item.date_precision)
    return f"{phrase}, {when}" if when else phrase


def day(date: dt.date) -> str:
    return format_date(date, "day")


def source_line(source: SourceRef, via: str | None = None) -> str:
    """'Newsweek, 8 Dec 2022' (+ ', via Reuters')."""
    text = f"{source.publisher}, {day(source.published)}"
    if via:
        text += f", via {via}"
    return text


def review_label(review: Review) -> str | None:
    return {Review.DRAFT: UNREVIEWED_LABEL, Review.NONE: NEW_LABEL}.get(review)


def quote_kind_label(kind: QuoteKind) -> str:
    return {
        QuoteKind.DIRECT: "said",
        QuoteKind.INDIRECT: "said (reported speech)",
        QuoteKind.MIXED: "said (reported speech with quoted words)",
    }[kind]


def quoted(words: str) -> str:
    """Words in quotation marks; curly quotes so article-internal straight quotes stay readable."""
    return f"“{words}”"


def speaker_line(item: QuoteItem) -> str:
    who = item.speaker
    if item.mention and item.mention.casefold() != item.speaker.casefold():
        who += f" (as “{item.mention}”)"
    return who


def counted(shown: int, total: int, noun: str) -> str:
    """'3 of 1,240 claims' when some are not shown (`count_label` of the total), else '1 claim' /
    '40 claims'."""
    if total > shown:
        return f"{shown} of {count_label(total)} {noun}s"
    return f"{total} {noun}{'s' * (total != 1)}"


def subscription_line(sub: Subscription, channel: str, reason: Callable[[str], str] = str) -> str:
    """'#desk at 07:45 Europe/Kyiv: active, last posted 2026-10-06'. A stopped subscription says
    so whatever its last failure; an active one that fails shows `reason(failing_reason)`."""
    state = "active" if sub.active else "stopped"
    if sub.active and sub.failing_reason:
        state = f"failing: {reason(sub.failing_reason)}"
    last = f", last posted {sub.last_posted_on}" if sub.last_posted_on else ""
    return f"{channel} at {sub.local_time} {sub.timezone}: {state}{last}"


def cut(text: str, limit: int) -> str:
    """Cut at a word boundary with a visible marker, never silently."""
    if len(text) <= limit:
        return text
    room = max(0, limit - len(CUT_MARKER) - 1)
    head = text[:room]
    if " " in head[room // 2 :]:
        head = head[: head.rfind(" ")]
    return f"{head.rstrip()} {CUT_MARKER}"


def count_label(n: int) -> str:
    """A total as shown: '1,234', or '10,000+' where the store only counted up to its cap."""
    return f"{COUNT_CAP:,}+" if n >= COUNT_CAP else f"{n:,}"
