"""Layouts -> Slack Block Kit messages; pure functions, nothing is sent here.

Only the Slack format is decided here; what an answer says comes from `layout.py`.

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

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    Option,
    PlainTextObject,
    SectionBlock,
    StaticSelectElement,
)

from bot.core.models import Answer
from bot.render.layout import (
    CONTROL_CODES,
    Action,
    Layout,
    Line,
    Run,
    SourceLine,
    Style,
    Tone,
    Verb,
    continued,
    control_id,
    cut_marker,
    not_shown,
)
from bot.render.layout import Item as LayoutItem
from bot.render.layout import layout as lay_out

# Slack's limits (https://api.slack.com/reference/block-kit/blocks).
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_HEADER_TEXT = 150
MAX_CONTEXT_TEXT = 2000  # context elements have no documented cap of their own; stay well inside
# Slack rejects very long messages (msg_too_long); keep one message's visible text under this.
MAX_MESSAGE_CHARS = 30_000
FALLBACK_TEXT_CHARS = 300  # the notification text: short, and escaped like everything else


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
    marker_room = len(cut_marker(len(text))) + 1
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
    return escape_mrkdwn(text[:end].rstrip()) + cut_marker(len(text) - end)


def label(text: str, limit: int = 200) -> str:
    """A name or title (not a quotation), escaped, shortened with a visible "…" past `limit`."""
    return escape_mrkdwn(text if len(text) <= limit else text[: limit - 1].rstrip() + "…")


MAX_URL = 1000  # longer links are not shown as links (their label still is)
_SPACE = re.compile(r"\s")


def link(url: str, text: str) -> str:
    """A mrkdwn link `<url|label>` for http(s) URLs; anything else is shown as plain text."""
    safe_label = label(text.replace("|", "/"))
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or _SPACE.search(url) or len(url) > MAX_URL:
        return safe_label
    safe_url = url.replace("&", "&amp;").replace("<", "%3C").replace(">", "%3E").replace("|", "%7C")
    return f"<{safe_url}|{safe_label}>"


def _quoted(words: str, budget: int) -> str:
    """Verbatim words in quotation marks, as a mrkdwn block quote (every line prefixed)."""
    body = cut(words, budget - 4 - words.count("\n") * 2)
    return "\n".join(f">{line}" for line in f"“{body}”".split("\n"))


def _source(source: SourceLine, *, dash: bool = True) -> str:
    """'— <url|Newsweek, 8 Dec 2022>, via Reuters · _automatic, not reviewed_'."""
    name = f"{source.publisher or 'unknown source'}, {source.day}"
    text = ("— " if dash else "") + (link(source.url, name) if source.url else label(name, 300))
    if source.via:
        text += f", via {label(source.via, 100)}"
    if source.label:
        text += f" · _{source.label}_"
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
        finished[-1].append(context(not_shown(hidden)))
    fallback = escape_mrkdwn(rendered.title[:FALLBACK_TEXT_CHARS])
    total = len(finished)
    messages = []
    for n, blocks in enumerate(finished, start=1):
        if n > 1:
            blocks = [context(f"{escape_mrkdwn(continued(rendered.title[:100]))} ({n}/{total})"), *blocks]
        if not blocks:
            blocks = [section(fallback or "(empty)")]
        text = fallback if total == 1 else f"{fallback} ({n}/{total})"
        messages.append(SlackMessage(text=text, blocks=[b.to_dict() for b in blocks], ephemeral=rendered.ephemeral))
    return messages


# --------------------------------------------------------------------------------------------
# Layouts


def _run(run: Run) -> str:
    if run.channel:
        return f"<#{run.channel}>" if re.fullmatch(r"[CGD][A-Z0-9]{2,}", run.channel) else label(f"#{run.channel}")
    if not run.text:
        return ""  # an empty styled run would show its markers ("**")
    if run.url:
        text = link(run.url, run.text)
    elif run.style == Style.CODE:
        return f"`{label(run.text.replace('`', ''), 500)}`"
    else:
        text = label(run.text, 500)
    if run.style == Style.STRONG:
        return f"*{text}*"
    if run.style == Style.EMPH:
        return f"_{text}_"
    return text


def _line(line: Line) -> str:
    return "".join(_run(r) for r in line)


def _item(item: LayoutItem, heading: str | None) -> Item:
    lead = _line(item.lead)
    if item.note:
        lead = f"{lead} _({item.note})_" if lead else f"_({item.note})_"
    if lead:
        lead = f"• {lead}"
    tail = ""
    if item.source is not None:
        tail = _source(item.source, dash=bool(item.quotes))
    details = " · ".join(_line(d) for d in item.details)
    if details:
        tail = f"{tail} · {details}" if tail else details
    if not item.quotes:
        text = "\n   ".join(part for part in (lead, tail) if part)
        return Item(cut_own(text), heading)
    budget = (MAX_SECTION_TEXT - len(lead) - len(tail) - 8) // len(item.quotes)
    quotes = "\nvs\n".join(_quoted(q, budget) for q in item.quotes)
    return Item("\n".join(part for part in (lead, quotes, tail) if part), heading)


def cut_own(text: str) -> str:
    """Our own text (never a quote) kept inside a section, cut visibly if it had to be."""
    if len(text) <= MAX_SECTION_TEXT:
        return text
    return text[: MAX_SECTION_TEXT - 40].rsplit(" ", 1)[0] + " … ✂ [cut]"


def arrange(view: Layout) -> Rendered:
    """A layout as a title, head blocks and the items that may be split between messages."""
    if view.message is not None:
        text = _line(view.message)
        if view.tone == Tone.ERROR:
            text = f"⚠ {text}"
        if view.usage:
            text += f"\nUsage: `{label(view.usage.replace('`', ''))}`"
        return Rendered(line_plain(view.message)[:100], [section(text)], ephemeral=view.private)
    head: list[Block] = [header(view.title)]
    notes = [_line(n) for n in view.notes]
    if view.footer:
        notes.append(label(view.footer))
    if notes:
        head.append(context(" · ".join(notes)))
    items: list[Item] = []
    for sec in view.sections:
        if not sec.items:
            if sec.empty:
                head.append(section(label(sec.empty, 2000)))
            continue
        for n, item in enumerate(sec.items):
            items.append(_item(item, sec.heading if n == 0 else None))
    return Rendered(view.title, head, items, ephemeral=view.private)


def line_plain(line: Line) -> str:
    return "".join(r.text or f"#{r.channel}" for r in line)


# --------------------------------------------------------------------------------------------
# Review cards: each item with its controls (buttons, and menus for an edit), then the article's

BUTTON_TEXT_MAX = 75
OPTION_TEXT_MAX = 75
OPTION_VALUE_MAX = 150
SELECT_OPTIONS_MAX = 100
_BUTTON_STYLES = {Verb.ACCEPT: "primary", Verb.REJECT: "danger", Verb.PROMOTE: "primary"}


def _plain(text: str, limit: int) -> PlainTextObject:
    return PlainTextObject(text=text if len(text) <= limit else text[: limit - 1] + "…", emoji=False)


def _button(action: Action) -> ButtonElement:
    text = f"{action.label} {action.item}" if action.item else action.label
    if action.done:
        text = f"✓ {text}"  # Slack buttons cannot be disabled: a pressed state is shown in words
    return ButtonElement(
        text=_plain(text, BUTTON_TEXT_MAX),
        action_id=control_id(CONTROL_CODES[action.verb], action),
        style=_BUTTON_STYLES.get(action.verb) if not action.done else None,
    )


def _menu(action: Action) -> StaticSelectElement | None:
    options = [
        Option(value=value, text=_plain(text, OPTION_TEXT_MAX))
        for value, text in action.options[:SELECT_OPTIONS_MAX]
        if len(value) <= OPTION_VALUE_MAX
    ]
    if not options:
        return None
    return StaticSelectElement(
        placeholder=_plain(f"{action.label.rstrip('…')} of {action.item}", 150),
        action_id=control_id("e", action, action.field),
        options=options,
    )


def _controls(actions: Iterable[Action]) -> ActionsBlock | None:
    elements: list[ButtonElement | StaticSelectElement] = []
    for action in actions:
        element = _menu(action) if action.verb == Verb.EDIT else _button(action)
        if element is not None:
            elements.append(element)
    return ActionsBlock(elements=elements) if elements else None


def review_card(view: Layout) -> SlackMessage:
    """A review card in one message: header, notes, then every item (its text, and an actions
    block of accept, reject and edit menus), then the article's controls (pages, all)."""
    rendered = arrange(replace(view, sections=()))
    blocks: list[Block] = list(rendered.head)
    for item in view.items():
        blocks.append(section(_item(item, None).text))
        controls = _controls(item.actions)
        if controls is not None:
            blocks.append(controls)
    article = _controls(view.actions)
    if article is not None:
        blocks += [DividerBlock(), article]
    fallback = escape_mrkdwn(view.title[:FALLBACK_TEXT_CHARS])
    return SlackMessage(text=fallback, blocks=[b.to_dict() for b in blocks[:MAX_BLOCKS]], ephemeral=view.private)


def render_layout(view: Layout, *, max_messages: int | None = None, max_blocks: int = MAX_BLOCKS) -> list[SlackMessage]:
    if view.actions or any(item.actions for item in view.items()):
        return [review_card(view)]
    return pack(arrange(view), max_messages=max_messages, max_blocks=max_blocks)


def render_messages(
    answer: Answer, *, max_messages: int | None = None, max_blocks: int = MAX_BLOCKS
) -> list[SlackMessage]:
    """An answer as one or more Slack messages, split between items when it is too long."""
    return render_layout(lay_out(answer), max_messages=max_messages, max_blocks=max_blocks)


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
