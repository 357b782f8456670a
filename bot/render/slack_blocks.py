"""Answers (bot.core.models) -> Slack Block Kit messages; pure functions, nothing is sent here.

Blocks are built with slack_sdk's block models and turned into dicts with `to_dict()`, so
slack_sdk's own validation (section text 3,000, header 150, 10 fields, 10 context elements)
runs on every message; a violation raises instead of reaching Slack.

Safety: every piece of article or user text goes through `escape_mrkdwn` (`&`, `<`, `>` become
entities), so nothing quoted can form `<!everyone>`, `<!here>`, `<@U123>`, `<!subteam^...>` or a
`<url|link>`; every text object is `verbatim` (Slack does not auto-link or parse mentions in it)
and nothing is ever posted with `link_names`.

Long answers: an answer is a list of *items* (one quote, one claim, one article...) that are
never split across messages; items are packed into messages of at most 50 blocks. A single
item longer than a section allows is cut with a visible marker, never silently.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

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
from bot.render.common import claim_phrase, count_label, day, quote_kind_label, review_label, source_line, speaker_line

# Slack's limits (https://api.slack.com/reference/block-kit/blocks).
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_CONTEXT_TEXT = 2000  # context elements have no documented cap of their own; stay well inside
# Slack rejects very long messages (msg_too_long); keep one message's visible text under this.
MAX_MESSAGE_CHARS = 30_000
FALLBACK_TEXT_CHARS = 300  # the notification text: short, and escaped like everything else

CUT_MARKER = " … ✂ [cut: {n:,} more characters — full text at the source below]"


def escape_mrkdwn(text: str) -> str:
    """Escape the three characters Slack treats as control characters in mrkdwn."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _escaped_len(text: str) -> int:
    return len(text) + 4 * text.count("&") + 3 * (text.count("<") + text.count(">"))


def cut(text: str, budget: int) -> str:
    """`text` escaped, at most `budget` characters; a cut ends at a word with a visible marker."""
    escaped = escape_mrkdwn(text)
    if len(escaped) <= budget:
        return escaped
    marker_room = len(CUT_MARKER.format(n=len(text))) + 1
    room = max(budget - marker_room, 0)
    used, end = 0, 0
    for i, ch in enumerate(text):
        used += _escaped_len(ch)
        if used > room:
            break
        end = i + 1
    space = text.rfind(" ", 0, end)
    if space > end * 0.8:  # prefer a word boundary when it costs little
        end = space
    return escape_mrkdwn(text[:end].rstrip()) + CUT_MARKER.format(n=len(text) - end)


def label(text: str, limit: int = 200) -> str:
    """A name or title (not a quotation), escaped, shortened with a visible "…" past `limit`."""
    return escape_mrkdwn(text if len(text) <= limit else text[: limit - 1].rstrip() + "…")


MAX_URL = 1000  # longer links are not shown as links (their label still is)


def link(url: str, text: str) -> str:
    """A mrkdwn link `<url|label>` for http(s) URLs; anything else is shown as plain text."""
    safe_label = label(text.replace("|", "/"))
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in url) or len(url) > MAX_URL:
        return safe_label
    safe_url = url.replace("&", "&amp;").replace("<", "%3C").replace(">", "%3E").replace("|", "%7C")
    return f"<{safe_url}|{safe_label}>"


def _quoted(words: str, budget: int) -> str:
    """Verbatim words in quotation marks, as a mrkdwn block quote (every line prefixed)."""
    body = cut(words, budget - 4 - words.count("\n") * 2)
    return "\n".join(f">{line}" for line in f"“{body}”".split("\n"))


def _source(source: SourceRef, via: str | None = None, extra: str = "") -> str:
    """'— <url|Newsweek, 8 Dec 2022>, via Reuters · _automatic, not reviewed_'."""
    text = "— " + link(source.url, source_line(source))
    if via:
        text += f", via {label(via, 100)}"
    review = review_label(source.review)
    if review:
        text += f" · _{review}_"
    if extra:
        text += f" · {extra}"
    return text


# --------------------------------------------------------------------------------------------
# Building blocks


def _mrkdwn(text: str) -> MarkdownTextObject:
    return MarkdownTextObject(text=text, verbatim=True)


def section(text: str) -> SectionBlock:
    if len(text) > MAX_SECTION_TEXT:  # our own text (not a quote): cut it visibly, never fail
        text = text[: MAX_SECTION_TEXT - 40].rsplit(" ", 1)[0] + " … ✂ [cut]"
    return SectionBlock(text=_mrkdwn(text))


def context(text: str) -> ContextBlock:
    if len(text) > MAX_CONTEXT_TEXT:
        text = text[: MAX_CONTEXT_TEXT - 20].rsplit(" ", 1)[0] + " … ✂ [cut]"
    return ContextBlock(elements=[_mrkdwn(text)])


def header(text: str) -> HeaderBlock:
    # plain_text is not parsed for mentions or links; only its length needs care.
    if len(text) > MAX_HEADER_TEXT:
        text = text[: MAX_HEADER_TEXT - 1] + "…"
    return HeaderBlock(text=PlainTextObject(text=text, emoji=False))


@dataclass(frozen=True)
class Item:
    """One unit of an answer (a claim, a quote, an article): mrkdwn text that is never split.

    Consecutive items share a section block while they fit in its 3,000 characters; `heading`
    starts a new group (divider + bold title) that stays in the same message as this item.
    """

    text: str
    heading: str | None = None


@dataclass(frozen=True)
class SlackMessage:
    """One message to send: notification text, blocks (dicts), and whether only the caller sees it."""

    text: str
    blocks: list[dict] = field(default_factory=list)
    ephemeral: bool = False

    def payload(self) -> dict:
        return {"text": self.text, "blocks": self.blocks}


@dataclass
class Rendered:
    """An answer laid out: a title, leading blocks, and the items that may be split."""

    title: str
    head: list[Block] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    ephemeral: bool = False


def _block_chars(block: Block) -> int:
    if isinstance(block, SectionBlock | HeaderBlock) and block.text is not None:
        return len(block.text.text)
    if isinstance(block, ContextBlock):
        return sum(len(getattr(e, "text", "") or "") for e in block.elements)
    return 0


class _Page:
    """A message being filled: finished blocks plus the section still open for more items."""

    def __init__(self, blocks: list[Block]) -> None:
        self.blocks = list(blocks)
        self.open: list[str] = []
        self.chars = sum(_block_chars(b) for b in blocks)
        self.items = 0

    def count(self) -> int:
        return len(self.blocks) + (1 if self.open else 0)

    def close_section(self) -> None:
        if self.open:
            self.blocks.append(section("\n\n".join(self.open)))
            self.open = []

    def finish(self) -> list[Block]:
        self.close_section()
        return self.blocks


def pack(rendered: Rendered, *, max_messages: int | None = None, max_blocks: int = MAX_BLOCKS) -> list[SlackMessage]:
    """Pack items into messages of at most `max_blocks` blocks, splitting only between items.

    With `max_messages`, whatever does not fit is replaced by a visible "not shown" line.
    """
    budget = max_blocks - 2  # room for a "continued" line on top and a "not shown" line below
    pages = [_Page(rendered.head)]
    for item in rendered.items:
        page = pages[-1]
        joined = len("\n\n".join([*page.open, item.text]))
        if (
            not item.heading
            and page.open
            and joined <= MAX_SECTION_TEXT
            and page.chars + len(item.text) <= MAX_MESSAGE_CHARS
        ):
            page.open.append(item.text)
            page.chars += len(item.text) + 2
            page.items += 1
            continue
        needed = 1 + (2 if item.heading else 0)
        if page.items and (page.count() + needed > budget or page.chars + len(item.text) > MAX_MESSAGE_CHARS):
            page.close_section()
            page = _Page([])
            pages.append(page)
        page.close_section()
        if item.heading:
            page.blocks += [DividerBlock(), section(f"*{label(item.heading)}*")]
            page.chars += len(item.heading) + 2
        page.open = [item.text]
        page.chars += len(item.text)
        page.items += 1
    finished = [p.finish() for p in pages]
    if max_messages is not None and len(finished) > max_messages:
        hidden = sum(p.items for p in pages[max_messages:])
        finished = finished[:max_messages]
        finished[-1].append(context(f"✂ {hidden:,} more item(s) not shown here: ask for a narrower answer."))
    fallback = escape_mrkdwn(rendered.title[:FALLBACK_TEXT_CHARS])
    total = len(finished)
    messages = []
    for n, blocks in enumerate(finished, start=1):
        if n > 1:
            blocks = [context(f"{escape_mrkdwn(rendered.title[:100])} — continued ({n}/{total})"), *blocks]
        if not blocks:
            blocks = [section(fallback or "(empty)")]
        text = fallback if total == 1 else f"{fallback} ({n}/{total})"
        messages.append(SlackMessage(text=text, blocks=[b.to_dict() for b in blocks], ephemeral=rendered.ephemeral))
    return messages


# --------------------------------------------------------------------------------------------
# Items: each ends with the source it comes from


def _with_quote(lead: str, words: str, tail: str) -> str:
    budget = MAX_SECTION_TEXT - len(lead) - len(tail) - 2
    return f"{lead}\n{_quoted(words, budget)}\n{tail}"


def claim_item(claim: ClaimItem, *, region: str | None = None, heading: str | None = None) -> Item:
    lead = f"• {label(claim_phrase(claim), 400)}"
    if region is not None:
        lead = f"• *{label(region)}*: {label(claim_phrase(claim), 400)}"
        lead += f" (according to {label(claim.asserted_by)})"
    return Item(_with_quote(lead, claim.evidence, _source(claim.source, claim.via)), heading)


def quote_item(quote: QuoteItem, heading: str | None = None) -> Item:
    when = f" on {day(quote.said_on)}" if quote.said_on else ""
    lead = f"• *{label(speaker_line(quote), 300)}* {quote_kind_label(quote.kind)}{when}:"
    return Item(_with_quote(lead, quote.words, _source(quote.source, quote.via)), heading)


def key_point_item(point: KeyPointItem, heading: str | None = None) -> Item:
    tail = _source(point.source)
    return Item(f"{_quoted(point.text, MAX_SECTION_TEXT - len(tail) - 1)}\n{tail}", heading)


def contradiction_item(item: ContradictionItem, heading: str | None = None) -> Item:
    tag = "" if item.confirmed else " _(candidate, not confirmed)_"
    lead = f"• *{cut(item.why, 500)}*{tag}"
    tail = _source(item.source)
    half = (MAX_SECTION_TEXT - len(lead) - len(tail) - 10) // 2
    return Item(f"{lead}\n{_quoted(item.a, half)}\nvs\n{_quoted(item.b, half)}\n{tail}", heading)


def article_item(article: ArticleItem, heading: str | None = None) -> Item:
    source = article.source
    text = f"• {link(source.url, source.title)} — {label(source_line(source), 300)}"
    if article.author:
        text += f", by {label(article.author)}"
    review = review_label(source.review)
    if review:
        text += f" · _{review}_"
    text += f"\n   {article.key_point_count} key points · {article.quote_count} quotes · {article.claim_count} claims"
    if article.other_sources:
        text += f" · also in {label(', '.join(article.other_sources), 300)}"
    return Item(cut(text, MAX_SECTION_TEXT) if len(text) > MAX_SECTION_TEXT else text, heading)


def _grouped(heading: str, items: Sequence[Item]) -> list[Item]:
    """The items with `heading` on the first one."""
    if not items:
        return []
    first = items[0]
    return [Item(first.text, heading), *items[1:]]


# --------------------------------------------------------------------------------------------
# Answers


def _status(answer: StatusAnswer) -> Rendered:
    region = answer.region
    title = f"{region.name} ({region.code})"
    head: list[Block] = [header(title)]
    shown = sum(len(g.claims) for g in answer.by_source)
    total = count_label(max(answer.total_claims, shown))
    note = f"{shown} of {total} claim(s) shown, newest first · quoted words are verbatim"
    if answer.matched_as:
        note = f"matched “{label(answer.matched_as, 100)}” · {note}"
    head.append(context(note))
    items: list[Item] = []
    for group in answer.by_source:
        items += _grouped(f"According to {group.asserted_by}", [claim_item(c) for c in group.claims])
    items += _grouped("Contradictions", [contradiction_item(c) for c in answer.contradictions])
    if not items:
        head.append(section("No claims about this region in the stored articles yet."))
    return Rendered(title, head, items)


def _quotes(answer: QuotesAnswer) -> Rendered:
    speaker = answer.speaker
    title = speaker.name + (f", {speaker.role}" if speaker.role else "")
    head: list[Block] = [header(title)]
    note = f"{len(answer.quotes)} of {count_label(answer.total or len(answer.quotes))} statement(s) shown, newest first"
    if answer.matched_as:
        note = f"matched “{label(answer.matched_as, 100)}” · {note}"
    head.append(context(note))
    if not answer.quotes:
        head.append(section("No statements by this speaker in the stored articles yet."))
    return Rendered(title, head, [quote_item(q) for q in answer.quotes])


def _digest(answer: BriefingAnswer) -> Rendered:
    if answer.day is None and not answer.articles and not answer.unreviewed:
        return Rendered("Digest", [header("Digest"), section("No articles stored yet.")])
    title = f"Digest for {day(answer.day)}" if answer.day else "Digest: new since the last one"
    head: list[Block] = [header(title)]
    head.append(context(f"{len(answer.articles)} article(s) · quoted words are verbatim from the source linked"))
    items: list[Item] = []
    items += _grouped("Key points", [key_point_item(k) for k in answer.key_points])
    items += _grouped("Regions", [claim_item(r.latest, region=r.region.name) for r in answer.regions])
    items += _grouped("Notable quotes", [quote_item(q) for q in answer.quotes])
    items += _grouped("Contradictions", [contradiction_item(c) for c in answer.contradictions])
    items += _grouped("Sources", [article_item(a) for a in answer.articles])
    items += _grouped("New, not yet reviewed", [article_item(a) for a in answer.unreviewed])
    if not items:
        head.append(section("A quiet day: nothing new."))
    return Rendered(title, head, items)


def _contradictions(answer: ContradictionsAnswer) -> Rendered:
    title = "Contradictions" + (f": {answer.region.name}" if answer.region else "")
    head: list[Block] = [header(title)]
    if not answer.items:
        head.append(section("No contradictions recorded" + (" for this region." if answer.region else ".")))
    return Rendered(title, head, [contradiction_item(c) for c in answer.items])


def _sources(answer: SourcesAnswer) -> Rendered:
    title = "Sources"
    shown = len(answer.articles)
    head: list[Block] = [header(title), context(f"{shown} of {answer.total or shown} article(s), newest first")]
    if not answer.articles:
        head.append(section("No articles stored yet."))
    return Rendered(title, head, [article_item(a) for a in answer.articles])


def _help(answer: HelpAnswer, command: str) -> Rendered:
    items = [Item(f"`{label(_usage(usage, command))}` — {label(desc, 500)}") for usage, desc in answer.commands]
    return Rendered("briefbot help", [header("briefbot help")], items)


def _usage(usage: str, command: str) -> str:
    usage = usage.strip().lstrip("/")
    return f"{command} {usage}" if command else usage


def _not_found(answer: NotFound) -> Rendered:
    text = f"No {label(answer.what, 50)} matches “{cut(answer.query, 100)}”."
    if answer.suggestions:
        text += " Did you mean: " + ", ".join(f"*{label(s, 100)}*" for s in answer.suggestions[:5]) + "?"
    return Rendered(f"No {answer.what} matches", [section(text)], ephemeral=True)


def _usage_error(answer: UsageError, command: str) -> Rendered:
    text = f"⚠ {cut(answer.message, 500)}"
    if answer.usage:
        text += f"\nUsage: `{label(_usage(answer.usage, command))}`"
    return Rendered(answer.message[:100], [section(text)], ephemeral=True)


def _notice(answer: Notice) -> Rendered:
    text = cut(answer.text, MAX_SECTION_TEXT - 2)
    return Rendered(answer.text[:100], [section(text if answer.ok else f"⚠ {text}")], ephemeral=not answer.ok)


def layout(answer: Answer, *, command: str = "/briefbot") -> Rendered:
    """The answer as a title, head blocks and splittable items."""
    match answer:
        case StatusAnswer():
            return _status(answer)
        case QuotesAnswer():
            return _quotes(answer)
        case BriefingAnswer():
            return _digest(answer)
        case ContradictionsAnswer():
            return _contradictions(answer)
        case SourcesAnswer():
            return _sources(answer)
        case HelpAnswer():
            return _help(answer, command)
        case NotFound():
            return _not_found(answer)
        case UsageError():
            return _usage_error(answer, command)
        case Notice():
            return _notice(answer)
    raise TypeError(f"no Slack rendering for {type(answer).__name__}")


def render_messages(
    answer: Answer, *, command: str = "/briefbot", max_messages: int | None = None, max_blocks: int = MAX_BLOCKS
) -> list[SlackMessage]:
    """An answer as one or more Slack messages, split between items when it is too long."""
    return pack(layout(answer, command=command), max_messages=max_messages, max_blocks=max_blocks)


def all_texts(blocks: Iterable[dict]) -> list[str]:
    """Every text string inside block dicts (for checks and tests)."""
    out: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, dict):
            if isinstance(value.get("text"), str):
                out.append(value["text"])
            for v in value.values():
                if isinstance(v, dict | list):
                    walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(list(blocks))
    return out
