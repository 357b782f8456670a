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

import datetime as dt
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

from bot.core.dates import format_date
from bot.core.models import (
    CLAIM_DESCRIPTIONS,
    Answer,
    ArticleItem,
    ClaimItem,
    ContradictionItem,
    ContradictionsAnswer,
    DigestAnswer,
    HelpAnswer,
    KeyPointItem,
    NotFound,
    Notice,
    QuoteItem,
    QuoteKind,
    QuotesAnswer,
    Review,
    SourceRef,
    SourcesAnswer,
    StatusAnswer,
    UsageError,
)

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


def link(url: str, label: str) -> str:
    """A mrkdwn link `<url|label>` for http(s) URLs; anything else is shown as plain text."""
    safe_label = escape_mrkdwn(label.replace("|", "/"))
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in url.strip()):
        return safe_label
    safe_url = url.strip().replace("&", "&amp;").replace("<", "%3C").replace(">", "%3E").replace("|", "%7C")
    return f"<{safe_url}|{safe_label}>"


def _quoted(words: str, budget: int) -> str:
    """Verbatim words in quotation marks, as a mrkdwn block quote (every line prefixed)."""
    body = cut(words, budget - 4 - words.count("\n") * 2)
    return "\n".join(f">{line}" for line in f"“{body}”".split("\n"))


def review_label(review: Review) -> str:
    if review is Review.DRAFT:
        return "⚠ automatic, not reviewed"
    if review is Review.NONE:
        return "new, not yet reviewed"
    return ""


def _source_line(source: SourceRef, *, via: str | None = None, extra: str = "") -> str:
    parts = [f"*{escape_mrkdwn(source.publisher)}*", escape_mrkdwn(source.published.isoformat())]
    parts.append(link(source.url, source.title))
    if via:
        parts.append(f"via {escape_mrkdwn(via)}")
    label = review_label(source.review)
    if label:
        parts.append(f"_{label}_")
    if extra:
        parts.append(extra)
    return " · ".join(parts)


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


@dataclass
class Item:
    """Blocks that belong together and are never split across two messages."""

    blocks: list[Block]

    def size(self) -> int:
        return sum(_block_chars(b) for b in self.blocks)


def _block_chars(block: Block) -> int:
    if isinstance(block, SectionBlock | HeaderBlock) and block.text is not None:
        return len(block.text.text)
    if isinstance(block, ContextBlock):
        return sum(len(getattr(e, "text", "") or "") for e in block.elements)
    return 0


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


def pack(rendered: Rendered, *, max_messages: int | None = None, max_blocks: int = MAX_BLOCKS) -> list[SlackMessage]:
    """Pack items into messages of at most `max_blocks` blocks, splitting only between items.

    With `max_messages`, whatever does not fit is replaced by a visible "not shown" line.
    """
    fallback = escape_mrkdwn(rendered.title[:FALLBACK_TEXT_CHARS])
    pages: list[list[Block]] = [list(rendered.head)]
    sizes = [sum(_block_chars(b) for b in rendered.head)]
    page_of_item: list[int] = []
    for item in rendered.items:
        # room for a "continued" line at the top of a page and a "not shown" line at the bottom
        fits = len(pages[-1]) + len(item.blocks) <= max_blocks - 2 and sizes[-1] + item.size() <= MAX_MESSAGE_CHARS
        if not fits and len(pages[-1]) > 0:
            pages.append([])
            sizes.append(0)
        pages[-1].extend(item.blocks)
        sizes[-1] += item.size()
        page_of_item.append(len(pages) - 1)
    if not pages[-1] and len(pages) > 1:
        pages.pop()
    if max_messages is not None and len(pages) > max_messages:
        kept = pages[: max(max_messages, 1)]
        hidden = sum(1 for p in page_of_item if p >= len(kept))
        kept[-1].append(context(f"✂ {hidden:,} more item(s) not shown here: ask for a narrower answer."))
        pages = kept
    total = len(pages)
    messages = []
    for n, blocks in enumerate(pages, start=1):
        if total > 1 and n > 1:
            blocks = [context(f"{escape_mrkdwn(rendered.title[:100])} — continued ({n}/{total})"), *blocks]
        if not blocks:
            blocks = [section(fallback or "(empty)")]
        text = fallback if total == 1 else f"{fallback} ({n}/{total})"
        messages.append(SlackMessage(text=text, blocks=[b.to_dict() for b in blocks], ephemeral=rendered.ephemeral))
    return messages


# --------------------------------------------------------------------------------------------
# Items


def _when(date: dt.date | None, precision: str | None) -> str:
    return format_date(date, precision) if date else ""


def claim_item(claim: ClaimItem, region_name: str, *, show_asserter: bool = False) -> Item:
    what = f"{escape_mrkdwn(claim.actor)} {CLAIM_DESCRIPTIONS.get(claim.claim, claim.claim.value)} "
    what += escape_mrkdwn(region_name)
    when = _when(claim.date, claim.date_precision)
    if when:
        what += f" ({escape_mrkdwn(when)})"
    if show_asserter:
        what = f"*{escape_mrkdwn(claim.asserted_by)}*: {what}"
    budget = MAX_SECTION_TEXT - len(what) - 1
    text = f"{what}\n{_quoted(claim.evidence, budget)}"
    return Item([section(text), context(_source_line(claim.source, via=claim.via))])


def quote_item(quote: QuoteItem, *, show_speaker: bool = False) -> Item:
    kind = "said" if quote.kind is QuoteKind.DIRECT else "reported speech"
    if quote.kind is QuoteKind.MIXED:
        kind = "reported speech with quoted words"
    who = escape_mrkdwn(quote.mention or quote.speaker)
    if show_speaker and quote.speaker and quote.speaker not in (quote.mention or ""):
        who = f"*{escape_mrkdwn(quote.speaker)}* — {who}"
    if quote.role:
        who += f" ({escape_mrkdwn(quote.role)})"
    lead = f"{who}, _{kind}_"
    if quote.said_on:
        lead += f", {escape_mrkdwn(quote.said_on.isoformat())}"
    budget = MAX_SECTION_TEXT - len(lead) - 1
    text = f"{lead}\n{_quoted(quote.words, budget)}"
    return Item([section(text), context(_source_line(quote.source, via=quote.via))])


def key_point_item(point: KeyPointItem) -> Item:
    text = _quoted(point.text, MAX_SECTION_TEXT)
    return Item([section(text), context(_source_line(point.source))])


def contradiction_item(item: ContradictionItem) -> Item:
    label = "" if item.confirmed else " _(candidate: automatic, not reviewed)_"
    why = f"*{cut(item.why, 500)}*{label}"
    half = (MAX_SECTION_TEXT - len(why) - 20) // 2
    text = f"{why}\n{_quoted(item.a, half)}\n_versus_\n{_quoted(item.b, half)}"
    return Item([section(text), context(_source_line(item.source))])


def article_item(article: ArticleItem) -> Item:
    source = article.source
    counts = f"{article.key_point_count} key points · {article.quote_count} quotes · {article.claim_count} claims"
    extra = counts
    if article.author:
        extra = f"by {escape_mrkdwn(article.author)} · {counts}"
    if article.other_sources:
        extra += f" · also in {escape_mrkdwn(', '.join(article.other_sources))}"
    return Item([context(_source_line(source, extra=extra))])


def _title_item(text: str, first: Item | None = None) -> Item:
    """A sub-heading kept together with the first item under it."""
    blocks: list[Block] = [DividerBlock(), section(f"*{escape_mrkdwn(text)}*")]
    if first is not None:
        blocks.extend(first.blocks)
    return Item(blocks)


def _group(title: str, items: Sequence[Item]) -> list[Item]:
    if not items:
        return []
    return [_title_item(title, items[0]), *items[1:]]


# --------------------------------------------------------------------------------------------
# Answers


def _status(answer: StatusAnswer) -> Rendered:
    region = answer.region
    title = f"Status: {region.name} ({region.code})"
    head: list[Block] = [header(title)]
    note = f"{answer.total_claims} claim(s) from {len(answer.by_source)} source(s), newest first"
    if answer.matched_as:
        note = f"matched “{escape_mrkdwn(answer.matched_as)}” · {note}"
    head.append(context(note))
    items: list[Item] = []
    for group in answer.by_source:
        claim_items = [claim_item(c, region.name) for c in group.claims]
        items.extend(_group(f"According to {group.asserted_by}", claim_items))
    items.extend(_group("Contradictions", [contradiction_item(c) for c in answer.contradictions]))
    if not items:
        head.append(section(f"Nothing stored about {escape_mrkdwn(region.name)} yet."))
    return Rendered(title, head, items)


def _quotes(answer: QuotesAnswer) -> Rendered:
    speaker = answer.speaker
    title = f"Quotes: {speaker.name}"
    head: list[Block] = [header(title)]
    note = f"{answer.total or len(answer.quotes)} statement(s), newest first"
    if speaker.role:
        note = f"{escape_mrkdwn(speaker.role)} · {note}"
    if answer.matched_as:
        note = f"matched “{escape_mrkdwn(answer.matched_as)}” · {note}"
    head.append(context(note))
    if not answer.quotes:
        head.append(section(f"No statements by {escape_mrkdwn(speaker.name)} stored yet."))
    return Rendered(title, head, [quote_item(q) for q in answer.quotes])


def _digest(answer: DigestAnswer) -> Rendered:
    if answer.day is None:
        return Rendered("Digest", [header("Digest"), section("Nothing stored yet.")])
    title = f"Daily digest — {answer.day.isoformat()}"
    head: list[Block] = [header(title)]
    n = len(answer.articles)
    head.append(context(f"{n} article(s) · quoted words are verbatim from the source shown under them"))
    items: list[Item] = []
    items += _group("Key points", [key_point_item(k) for k in answer.key_points])
    items += _group(
        "Regions",
        [claim_item(r.latest, r.region.name, show_asserter=True) for r in answer.regions],
    )
    items += _group("Quotes", [quote_item(q, show_speaker=True) for q in answer.quotes])
    items += _group("Contradictions", [contradiction_item(c) for c in answer.contradictions])
    items += _group("Articles", [article_item(a) for a in answer.articles])
    items += _group("New, not yet reviewed", [article_item(a) for a in answer.unreviewed])
    if not items:
        head.append(section("A quiet day: nothing new."))
    return Rendered(title, head, items)


def _contradictions(answer: ContradictionsAnswer) -> Rendered:
    where = f" — {answer.region.name}" if answer.region else ""
    title = f"Contradictions{where}"
    head: list[Block] = [header(title)]
    if not answer.items:
        head.append(
            section(
                "No contradictions stored" + (f" for {escape_mrkdwn(answer.region.name)}." if answer.region else ".")
            )
        )
    return Rendered(title, head, [contradiction_item(c) for c in answer.items])


def _sources(answer: SourcesAnswer) -> Rendered:
    title = "Sources"
    head: list[Block] = [header(title), context(f"{answer.total or len(answer.articles)} article(s) stored")]
    if not answer.articles:
        head.append(section("No articles stored yet."))
    return Rendered(title, head, [article_item(a) for a in answer.articles])


def _help(answer: HelpAnswer, command: str) -> Rendered:
    lines = [f"`{escape_mrkdwn(_usage(usage, command))}` — {escape_mrkdwn(desc)}" for usage, desc in answer.commands]
    items = [Item([section(line)]) for line in lines]
    return Rendered("briefbot help", [header("briefbot help")], items)


def _usage(usage: str, command: str) -> str:
    usage = usage.strip().lstrip("/")
    return f"{command} {usage}" if command else usage


def _not_found(answer: NotFound) -> Rendered:
    text = f"No {escape_mrkdwn(answer.what)} matches “{cut(answer.query, 100)}”."
    if answer.suggestions:
        text += " Did you mean: " + ", ".join(f"*{escape_mrkdwn(s)}*" for s in answer.suggestions[:5]) + "?"
    return Rendered(f"No {answer.what} matches", [section(text)], ephemeral=True)


def _usage_error(answer: UsageError, command: str) -> Rendered:
    text = f"⚠ {cut(answer.message, 500)}"
    if answer.usage:
        text += f"\nUsage: `{escape_mrkdwn(_usage(answer.usage, command))}`"
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
        case DigestAnswer():
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
