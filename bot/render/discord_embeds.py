"""Answers -> Discord message bodies (embeds as plain dicts), inside Discord's limits.

Owns how an answer looks on Discord: one embed per page, items (a claim, a quote, an article)
never split across pages, a section heading repeated as "(continued)" when a page breaks inside
it, quotes in quotation marks with their source link and date, machine-extracted content
labelled "automatic, not reviewed". A single item longer than a page is the only thing ever cut,
and then with a visible marker inside the quotation marks. Text from articles is escaped so its
markdown cannot restyle the answer; every message carries `allowed_mentions: {"parse": []}` so
an `@everyone` inside a quote can never ping.

Pure functions of the answer: no discord.py objects, no I/O. The front end turns the dicts into
discord.Embed objects and adds page buttons from `RenderedAnswer.rerun`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from bot.core.models import (
    Answer,
    ArticleItem,
    BriefingAnswer,
    ClaimItem,
    ContradictionItem,
    ContradictionsAnswer,
    HelpAnswer,
    KeyPointItem,
    NotFound,
    Notice,
    QuoteItem,
    QuotesAnswer,
    SourceRef,
    SourcesAnswer,
    StatusAnswer,
    UsageError,
)
from bot.core.subscriptions import Subscription
from bot.render.common import (
    claim_phrase,
    counted,
    day,
    quote_kind_label,
    review_label,
    speaker_line,
    subscription_line,
)

# Discord's limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits)
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELDS_MAX = 25
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
EMBEDS_PER_MESSAGE = 10
MESSAGE_EMBED_CHARS = 6000
CONTENT_MAX = 2000

# A page's description stays well under 4,096 so title + footer + description < 6,000 and
# a page is still readable on a phone.
PAGE_BUDGET = 3500
ALLOWED_MENTIONS_NONE: dict[str, list[str]] = {"parse": []}
CUT_MARKER = " … ✂ [cut: {n} more characters — full text at the source]"
COLOUR = 0x2F6FB3
COLOUR_WARN = 0xC27C0E


@dataclass(frozen=True, slots=True)
class DiscordMessage:
    """One message body: `embeds` are Discord embed objects, `content` plain text."""

    embeds: tuple[dict[str, Any], ...] = ()
    content: str | None = None

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"embeds": list(self.embeds), "allowed_mentions": ALLOWED_MENTIONS_NONE}
        if self.content is not None:
            out["content"] = self.content
        return out


@dataclass(frozen=True, slots=True)
class RenderedAnswer:
    """The pages of one answer; `rerun` is the command (name, args) that redraws any page."""

    pages: tuple[DiscordMessage, ...]
    ephemeral: bool = False
    rerun: tuple[str, tuple[tuple[str, str], ...]] | None = None

    @property
    def page_count(self) -> int:
        return len(self.pages)

    def page(self, index: int) -> DiscordMessage:
        return self.pages[max(0, min(index, len(self.pages) - 1))]


# ------------------------------------------------------------------------------ text helpers

# markdown, masked-link and mention syntax; a backslash shows the next character as written
_MARKDOWN = re.compile(r"([\\*_~`|>#\[\]<@])")


def escape(text: str) -> str:
    """Escape markdown (and mention syntax) so verbatim article text shows exactly as written."""
    return _MARKDOWN.sub(r"\\\1", text)


def _safe_url(url: str) -> str | None:
    if not url.startswith(("https://", "http://")):
        return None
    return url.replace(" ", "%20").replace("(", "%28").replace(")", "%29")


def source_line(source: SourceRef) -> str:
    """`[Publisher](url) · 24 Nov 2026`, labelled when nobody has reviewed the content."""
    name = escape(source.publisher or "unknown source")
    url = _safe_url(source.url)
    link = f"[{name}]({url})" if url else name
    line = f"{link} · {day(source.published)}"
    label = review_label(source.review)
    if label:
        line += f" · *{label}*"
    return line


def quoted(text: str, limit: int) -> str:
    """Verbatim text in quotation marks, escaped; cut to `limit` only with a visible marker.

    Runs of whitespace become one space (a line break inside a quote would let the article's
    text start a markdown list or heading); the words themselves are never changed.
    """
    text = " ".join(text.split())
    full = f"“{escape(text)}”"
    if len(full) <= limit:
        return full
    keep = limit - len(CUT_MARKER.format(n=len(text))) - 2
    while keep > 0:
        head = text[:keep]
        space = head.rfind(" ")
        if space > max(0, keep - 40):  # cut at a word boundary when one is near
            head = head[:space]
        out = f"“{escape(head.rstrip())}{CUT_MARKER.format(n=len(text) - len(head.rstrip()))}”"
        if len(out) <= limit:
            return out
        keep -= max(1, len(out) - limit)
    return f"“{CUT_MARKER.format(n=len(text)).strip()}”"


def _clip(text: str, limit: int) -> str:
    """Clip a label we wrote ourselves (title, heading), never article text."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ------------------------------------------------------------------------------ paging


@dataclass(frozen=True, slots=True)
class Section:
    heading: str | None
    items: tuple[str, ...]
    empty: str | None = None  # shown when there are no items


def paginate(sections: Iterable[Section], budget: int = PAGE_BUDGET) -> list[str]:
    """Pack items into page descriptions of at most `budget` characters, never splitting one."""
    pages: list[str] = []
    current = ""
    for section in sections:
        items = section.items or ((section.empty,) if section.empty else ())
        for i, item in enumerate(items):
            heading = ""
            if section.heading:
                heading = f"**{section.heading}**\n" if i == 0 else ""
            piece = heading + item
            if current and len(current) + 2 + len(piece) > budget:
                pages.append(current)
                current = ""
                if section.heading and i > 0:
                    piece = f"**{section.heading}** (continued)\n{item}"
            current = f"{current}\n\n{piece}" if current else piece
    if current or not pages:
        pages.append(current)
    return pages


def _pages(
    title: str,
    sections: list[Section],
    *,
    footer: str = "",
    budget: int = PAGE_BUDGET,
    colour: int = COLOUR,
    rerun: tuple[str, tuple[tuple[str, str], ...]] | None = None,
    ephemeral: bool = False,
) -> RenderedAnswer:
    descriptions = paginate(sections, budget)
    messages = []
    for n, description in enumerate(descriptions, start=1):
        embed: dict[str, Any] = {"type": "rich", "title": _clip(title, TITLE_MAX), "color": colour}
        if description:
            embed["description"] = description[:DESCRIPTION_MAX]
        footer_text = footer
        if len(descriptions) > 1:
            footer_text = f"Page {n} of {len(descriptions)}" + (f" · {footer}" if footer else "")
        if footer_text:
            embed["footer"] = {"text": _clip(footer_text, FOOTER_MAX)}
        messages.append(DiscordMessage(embeds=(embed,)))
    return RenderedAnswer(pages=tuple(messages), ephemeral=ephemeral, rerun=rerun if len(messages) > 1 else None)


def _item_limit(budget: int) -> int:
    # room for a "(continued)" heading above the item on a fresh page
    return budget - 120


# ------------------------------------------------------------------------------ items


def claim_item(item: ClaimItem, budget: int, *, region_name: str | None = None) -> str:
    head = f"**{escape(claim_phrase(item))}**"
    if region_name:  # the digest lists several regions: say which, and who says so
        head = f"**{escape(region_name)}**: {escape(claim_phrase(item))} (according to {escape(item.asserted_by)})"
    tail = f"— {source_line(item.source)}"
    if item.via:
        tail += f", via {escape(item.via)}"
    room = _item_limit(budget) - len(head) - len(tail) - 2
    return f"{head}\n{quoted(item.evidence, room)}\n{tail}"


def quote_item(item: QuoteItem, budget: int) -> str:
    when = f" on {day(item.said_on)}" if item.said_on else ""
    head = f"{escape(speaker_line(item))} {quote_kind_label(item.kind)}{when}:"
    tail = f"— {source_line(item.source)}"
    if item.via:
        tail += f", via {escape(item.via)}"
    room = _item_limit(budget) - len(head) - len(tail) - 2
    return f"{head}\n{quoted(item.words, room)}\n{tail}"


def contradiction_item(item: ContradictionItem, budget: int) -> str:
    label = "" if item.confirmed else "*candidate, not confirmed*\n"
    tail = f"*{escape(item.why)}*\n— {source_line(item.source)}"
    room = (_item_limit(budget) - len(label) - len(tail) - 8) // 2
    return f"{label}{quoted(item.a, room)}\n↔ {quoted(item.b, room)}\n{tail}"


def key_point_item(item: KeyPointItem, budget: int) -> str:
    tail = f"— {source_line(item.source)}"
    return f"{quoted(item.text, _item_limit(budget) - len(tail) - 1)}\n{tail}"


def article_item(item: ArticleItem) -> str:
    s = item.source
    url = _safe_url(s.url)
    title = escape(_clip(s.title or "(untitled)", 200))
    head = f"[{title}]({url})" if url else title
    counts = []
    for n, word in (
        (item.key_point_count, "key point"),
        (item.quote_count, "quote"),
        (item.claim_count, "claim"),
    ):
        if n:
            counts.append(f"{n} {word}{'' if n == 1 else 's'}")
    line = f"{escape(s.publisher)} · {day(s.published)}"
    if item.author:
        line += f" · {escape(_clip(item.author, 80))}"
    if counts:
        line += " · " + ", ".join(counts)
    label = review_label(s.review)
    if label:
        line += f" · *{label}*"
    if item.other_sources:
        line += " · also in " + ", ".join(escape(p) for p in item.other_sources[:5])
    return f"{head}\n{line}"


# ------------------------------------------------------------------------------ answers


def _short(text: str, ok: bool = True) -> RenderedAnswer:
    return RenderedAnswer(pages=(DiscordMessage(content=_clip(text, CONTENT_MAX)),), ephemeral=not ok)


def render_status(answer: StatusAnswer, budget: int = PAGE_BUDGET) -> RenderedAnswer:
    region = answer.region
    sections = []
    if answer.matched_as and answer.matched_as != region.name:
        sections.append(Section(None, (f"*Matched “{escape(answer.matched_as)}”.*",)))
    for group in answer.by_source:
        items = tuple(claim_item(c, budget) for c in group.claims)
        sections.append(Section(f"According to {escape(group.asserted_by)}", items))
    if not answer.by_source:
        sections.append(Section(None, (f"Nothing stored about {escape(region.name)} yet.",)))
    if answer.contradictions:
        sections.append(Section("Contradictions", tuple(contradiction_item(c, budget) for c in answer.contradictions)))
    shown = sum(len(g.claims) for g in answer.by_source)
    total = max(answer.total_claims, shown)
    count = counted(shown, total, "claim") + (", newest first" if total > shown else "")
    return _pages(
        f"{region.name} ({region.code}) — what the sources say",
        sections,
        footer=f"{count} · quoted words are verbatim from the articles",
        budget=budget,
        rerun=("status", (("region", region.code),)),
    )


def render_quotes(answer: QuotesAnswer, budget: int = PAGE_BUDGET) -> RenderedAnswer:
    speaker = answer.speaker
    title = speaker.name + (f", {speaker.role}" if speaker.role else "")
    sections = []
    if answer.matched_as and answer.matched_as != speaker.name:
        sections.append(Section(None, (f"*Matched “{escape(answer.matched_as)}”.*",)))
    sections.append(Section(None, tuple(quote_item(q, budget) for q in answer.quotes), empty="No quotes stored yet."))
    shown = len(answer.quotes)
    total = max(answer.total, shown)
    count = counted(shown, total, "statement")
    return _pages(
        f"Quotes — {title}",
        sections,
        footer=f"{count}, newest first",
        budget=budget,
        rerun=("quote", (("speaker", speaker.id),)),
    )


def render_digest(answer: BriefingAnswer, budget: int = PAGE_BUDGET) -> RenderedAnswer:
    if answer.day is None and not answer.articles and not answer.unreviewed:
        return _short("No articles stored yet.", ok=True)
    sections = [
        Section("Key points", tuple(key_point_item(k, budget) for k in answer.key_points)),
        Section(
            "Regions",
            tuple(claim_item(r.latest, budget, region_name=r.region.name) for r in answer.regions),
        ),
        Section("Notable quotes", tuple(quote_item(q, budget) for q in answer.quotes)),
        Section("Contradictions", tuple(contradiction_item(c, budget) for c in answer.contradictions)),
        Section("Articles", tuple(article_item(a) for a in answer.articles)),
        Section("New, not yet reviewed", tuple(article_item(a) for a in answer.unreviewed)),
    ]
    if not any(s.items for s in sections):
        sections = [Section(None, ("Nothing new.",))]
    n = len(answer.articles)
    title = f"Daily digest — {day(answer.day)}" if answer.day else "Digest: new since the last one"
    return _pages(
        title,
        sections,
        footer=f"{n} article{'s' if n != 1 else ''} · quoted words are verbatim from the articles",
        budget=budget,
        rerun=("digest", (("date", answer.day.isoformat()),)) if answer.day else None,
    )


def render_contradictions(answer: ContradictionsAnswer, budget: int = PAGE_BUDGET) -> RenderedAnswer:
    where = f" — {answer.region.name}" if answer.region else ""
    items = tuple(contradiction_item(c, budget) for c in answer.items)
    return _pages(
        f"Contradictions{where}",
        [Section(None, items, empty="No contradictions stored.")],
        footer="two statements that cannot both be true, each verbatim from its article",
        budget=budget,
        colour=COLOUR_WARN,
        rerun=("contradictions", (("region", answer.region.code),) if answer.region else ()),
    )


def render_sources(answer: SourcesAnswer, budget: int = PAGE_BUDGET) -> RenderedAnswer:
    total = answer.total or len(answer.articles)
    return _pages(
        "Sources",
        [Section(None, tuple(article_item(a) for a in answer.articles), empty="No articles stored yet.")],
        footer=f"{total} article{'s' if total != 1 else ''}",
        budget=budget,
        rerun=("sources", ()),
    )


def render_help(answer: HelpAnswer, budget: int = PAGE_BUDGET) -> RenderedAnswer:
    items = tuple(f"`/{usage.lstrip('/')}` — {description}" for usage, description in answer.commands)
    return _pages(
        "briefbot",
        [Section(None, items)],
        footer="every quote and claim links to its source article",
        budget=budget,
        ephemeral=True,
    )


def render_not_found(answer: NotFound) -> RenderedAnswer:
    query = escape(_clip(answer.query, 100))
    if answer.what == "date":
        text = f"No articles on {query}."
    elif answer.what == "regions":
        text = f"“{query}” covers several regions: ask for one."
    else:
        text = f"No {answer.what} matches “{query}”."
    if answer.suggestions:
        text += " Did you mean: " + ", ".join(escape(s) for s in answer.suggestions[:5]) + "?"
    return _short(text, ok=False)


def render_usage(answer: UsageError) -> RenderedAnswer:
    text = escape(answer.message)
    if answer.usage:
        text += f"\nUsage: `{answer.usage.replace('`', '')}`"
    return _short(text, ok=False)


def render_notice(answer: Notice) -> RenderedAnswer:
    return _short(escape(answer.text), ok=answer.ok)


def render_own_notice(answer: Answer) -> RenderedAnswer:
    """Like `render`, but a Notice is the front end's own text (channel mentions kept as such)."""
    if isinstance(answer, Notice):
        return _short(answer.text, ok=answer.ok)
    return render(answer)


def render_subscriptions(rows: list[Subscription]) -> RenderedAnswer:
    """A server's digest subscriptions, one line each, channel as a mention (never pings)."""
    if not rows:
        return _short("No daily digests in this server yet. Use /subscribe.", ok=False)
    lines = [subscription_line(sub, f"<#{sub.channel}>", lambda reason: escape(_clip(reason, 200))) for sub in rows]
    return _pages("Daily digests in this server", [Section(None, tuple(lines))], ephemeral=True)


_RENDERERS: dict[type, Callable[..., RenderedAnswer]] = {
    StatusAnswer: render_status,
    QuotesAnswer: render_quotes,
    BriefingAnswer: render_digest,
    ContradictionsAnswer: render_contradictions,
    SourcesAnswer: render_sources,
    HelpAnswer: render_help,
}


def render(answer: Answer, *, budget: int = PAGE_BUDGET) -> RenderedAnswer:
    """Any answer of the core -> its Discord pages."""
    if isinstance(answer, NotFound):
        return render_not_found(answer)
    if isinstance(answer, UsageError):
        return render_usage(answer)
    if isinstance(answer, Notice):
        return render_notice(answer)
    renderer = _RENDERERS.get(type(answer))
    if renderer is None:
        return _short("Sorry, this answer cannot be shown on Discord.", ok=False)
    return renderer(answer, budget)


def message_chars(message: DiscordMessage) -> int:
    """Characters of a message that count towards Discord's 6,000 embed limit."""
    total = 0
    for e in message.embeds:
        total += len(e.get("title", "")) + len(e.get("description", ""))
        total += len(e.get("footer", {}).get("text", ""))
        total += sum(len(f["name"]) + len(f["value"]) for f in e.get("fields", []))
    return total
