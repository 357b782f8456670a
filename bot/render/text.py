"""Answers -> plain text for the console (and for logs of scheduled digests)."""

from __future__ import annotations

from functools import singledispatch

from bot.core.models import (
    BriefingAnswer,
    ContradictionItem,
    ContradictionsAnswer,
    HelpAnswer,
    NotFound,
    Notice,
    QuoteItem,
    QuotesAnswer,
    SourceRef,
    SourcesAnswer,
    StatusAnswer,
    UsageError,
)
from bot.render.common import (
    claim_phrase,
    counted,
    day,
    quote_kind_label,
    quoted,
    review_label,
    source_line,
    speaker_line,
)

INDENT = "    "


def _src(source: SourceRef, via: str | None = None) -> str:
    label = review_label(source.review)
    tail = f" [{label}]" if label else ""
    return f"{INDENT}— {source_line(source, via)}{tail}  {source.url}".rstrip()


def _quote(item: QuoteItem) -> list[str]:
    when = f" on {day(item.said_on)}" if item.said_on else ""
    return [
        f"• {speaker_line(item)} {quote_kind_label(item.kind)}{when}:",
        f"{INDENT}{quoted(item.words)}",
        _src(item.source, item.via),
    ]


def _contradiction(item: ContradictionItem) -> list[str]:
    tag = "" if item.confirmed else " [candidate, not confirmed]"
    return [
        f"• {item.why}{tag}",
        f"{INDENT}{quoted(item.a)}",
        f"{INDENT}vs {quoted(item.b)}",
        _src(item.source),
    ]


@singledispatch
def render_text(answer: object) -> str:
    raise TypeError(f"no text rendering for {type(answer).__name__}")


@render_text.register
def _(answer: StatusAnswer) -> str:
    r = answer.region
    head = f"{r.name} ({r.code})"
    if answer.matched_as:
        head += f" — matched “{answer.matched_as}”"
    lines = [head]
    if not answer.by_source:
        lines.append("No claims about this region in the stored articles yet.")
    for group in answer.by_source:
        lines.append("")
        lines.append(f"According to {group.asserted_by}:")
        for c in group.claims:
            lines.append(f"• {claim_phrase(c)}")
            lines.append(f"{INDENT}{quoted(c.evidence)}")
            lines.append(_src(c.source, c.via))
    shown = sum(len(g.claims) for g in answer.by_source)
    if answer.total_claims > shown:
        lines.append(f"({counted(shown, answer.total_claims, 'claim')} shown, newest first)")
    if answer.contradictions:
        lines.append("")
        lines.append("Contradictions:")
        for x in answer.contradictions:
            lines.extend(_contradiction(x))
    return "\n".join(lines)


@render_text.register
def _(answer: QuotesAnswer) -> str:
    s = answer.speaker
    head = f"{s.name}" + (f", {s.role}" if s.role else "")
    if answer.matched_as:
        head += f" — matched “{answer.matched_as}”"
    lines = [head]
    if not answer.quotes:
        lines.append("No statements by this speaker in the stored articles yet.")
    for q in answer.quotes:
        lines.extend(_quote(q))
    if answer.total > len(answer.quotes):
        lines.append(f"({counted(len(answer.quotes), answer.total, 'statement')} shown, newest first)")
    return "\n".join(lines)


@render_text.register
def _(answer: BriefingAnswer) -> str:
    if answer.day is None and not answer.articles and not answer.unreviewed:
        return "No articles stored yet."
    title = f"Digest for {day(answer.day)}" if answer.day else "Digest: new since the last one"
    lines = [title]
    if answer.key_points:
        lines += ["", "Key points:"]
        for k in answer.key_points:
            lines += [f"• {quoted(k.text)}", _src(k.source)]
    if answer.regions:
        lines += ["", "Regions:"]
        for line in answer.regions:
            c = line.latest
            lines += [
                f"• {line.region.name}: {claim_phrase(c)} (according to {c.asserted_by})",
                f"{INDENT}{quoted(c.evidence)}",
                _src(c.source, c.via),
            ]
    if answer.quotes:
        lines += ["", "Notable quotes:"]
        for q in answer.quotes:
            lines.extend(_quote(q))
    if answer.contradictions:
        lines += ["", "Contradictions:"]
        for x in answer.contradictions:
            lines.extend(_contradiction(x))
    if answer.articles:
        lines += ["", "Sources:"]
        for a in answer.articles:
            lines.append(f"• {a.source.title} — {source_line(a.source)}  {a.source.url}")
    if answer.unreviewed:
        lines += ["", "New, not yet reviewed:"]
        for a in answer.unreviewed:
            lines.append(f"• {a.source.title} — {source_line(a.source)}  {a.source.url}")
    return "\n".join(lines)


@render_text.register
def _(answer: ContradictionsAnswer) -> str:
    head = f"Contradictions about {answer.region.name}" if answer.region else "Contradictions"
    if not answer.items:
        return f"{head}: none recorded."
    lines = [head + ":"]
    for x in answer.items:
        lines.extend(_contradiction(x))
    return "\n".join(lines)


@render_text.register
def _(answer: SourcesAnswer) -> str:
    if not answer.articles:
        return "No articles stored yet."
    lines = [f"Sources ({answer.total} articles, newest first):"]
    for a in answer.articles:
        label = review_label(a.source.review)
        tag = f" [{label}]" if label else ""
        by = f" by {a.author}" if a.author else ""
        lines.append(f"• {a.source.title}{tag}")
        lines.append(f"{INDENT}{source_line(a.source)}{by} — {a.source.url}")
        lines.append(f"{INDENT}{a.key_point_count} key points, {a.quote_count} quotes, {a.claim_count} region claims")
        if a.other_sources:
            lines.append(f"{INDENT}same story also from: {', '.join(a.other_sources)}")
    if answer.total > len(answer.articles):
        lines.append(f"({len(answer.articles)} of {answer.total} shown)")
    return "\n".join(lines)


@render_text.register
def _(answer: HelpAnswer) -> str:
    width = max(len(u) for u, _ in answer.commands)
    return "Commands:\n" + "\n".join(f"  {u.ljust(width)}  {d}" for u, d in answer.commands)


@render_text.register
def _(answer: NotFound) -> str:
    if answer.what == "date":
        msg = f"No articles on {answer.query}."
    elif answer.what == "regions":
        msg = f"“{answer.query[:60]}” covers several regions: ask for one."
    else:
        msg = f"Unknown {answer.what} “{answer.query[:60]}”."
    if answer.suggestions:
        msg += " Closest: " + ", ".join(answer.suggestions) + "."
    return msg


@render_text.register
def _(answer: UsageError) -> str:
    return f"{answer.message}" + (f"\nUsage: {answer.usage}" if answer.usage else "")


@render_text.register
def _(answer: Notice) -> str:
    return answer.text
