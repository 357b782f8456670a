"""Layouts -> Discord message bodies (embeds as plain dicts), inside Discord's limits.

Only the Discord format is decided here; what an answer says comes from `layout.py`. One embed
per page, items never split across pages, a section heading repeated "(continued)" when a page
breaks inside it. A single item longer than a page is the only thing ever cut, and then with
the layout's visible marker inside the quotation marks. Article text is escaped so its markdown
cannot restyle the answer; every message carries `allowed_mentions: {"parse": []}` so an
`@everyone` inside a quote can never ping.

Pure functions: no discord.py objects, no I/O. The front end turns the dicts into discord.Embed
objects and adds page buttons from `RenderedAnswer.rerun`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from bot.core.models import Answer
from bot.render.layout import (
    CONTROL_CODES,
    Action,
    Item,
    Layout,
    Line,
    Rerun,
    Run,
    Section,
    SourceLine,
    Style,
    Tone,
    Verb,
    continued,
    control_id,
    cut_marker,
)
from bot.render.layout import layout as lay_out

# Discord's limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits,
# https://discord.com/developers/docs/components/reference)
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELDS_MAX = 25
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
EMBEDS_PER_MESSAGE = 10
MESSAGE_EMBED_CHARS = 6000
CONTENT_MAX = 2000
ACTION_ROWS = 5
BUTTONS_PER_ROW = 5
CUSTOM_ID_MAX = 100
BUTTON_LABEL_MAX = 80
SELECT_OPTIONS_MAX = 25
OPTION_TEXT_MAX = 100

# A page's description stays well under 4,096 so title + footer + description < 6,000 and
# a page is still readable on a phone.
PAGE_BUDGET = 3500
ALLOWED_MENTIONS_NONE: dict[str, list[str]] = {"parse": []}
COLOUR = 0x2F6FB3
COLOURS = {Tone.ANSWER: COLOUR, Tone.WARNING: 0xC27C0E, Tone.ERROR: 0xB3261E}


@dataclass(frozen=True, slots=True)
class DiscordMessage:
    """One message body: `embeds` are Discord embed objects, `content` plain text, `components`
    action rows of message components (a review card's buttons and menus)."""

    embeds: tuple[dict[str, Any], ...] = ()
    content: str | None = None
    components: tuple[dict[str, Any], ...] = ()

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"embeds": list(self.embeds), "allowed_mentions": ALLOWED_MENTIONS_NONE}
        if self.content is not None:
            out["content"] = self.content
        if self.components:
            out["components"] = list(self.components)
        return out


@dataclass(frozen=True, slots=True)
class RenderedAnswer:
    """The pages of one answer; `rerun` is the command (name, args) that redraws any page."""

    pages: tuple[DiscordMessage, ...]
    ephemeral: bool = False
    rerun: Rerun | None = None

    @property
    def page_count(self) -> int:
        return len(self.pages)

    def page(self, index: int) -> DiscordMessage:
        return self.pages[max(0, min(index, len(self.pages) - 1))]


# ------------------------------------------------------------------------------ text helpers

# markdown, masked-link and mention syntax; a backslash shows the next character as written
_ESCAPES = str.maketrans({c: "\\" + c for c in "\\*_~`|>#[]<@"})


def escape(text: str) -> str:
    """Escape markdown (and mention syntax) so verbatim article text shows exactly as written."""
    return text.translate(_ESCAPES)


_SPACE = re.compile(r"\s")


def safe_url(url: str | None) -> str | None:
    if not url or not url.startswith(("https://", "http://")) or _SPACE.search(url):
        return None
    return url.replace("(", "%28").replace(")", "%29").replace("<", "%3C").replace(">", "%3E")


def quoted(text: str, limit: int) -> str:
    """Verbatim text in quotation marks, escaped; cut to `limit` only with a visible marker.

    Runs of whitespace become one space (a line break inside a quote would let the article's
    text start a markdown list or heading); the words themselves are never changed.
    """
    text = " ".join(text.split())
    full = f"“{escape(text)}”"
    if len(full) <= limit:
        return full
    keep = limit - len(cut_marker(len(text))) - 2
    while keep > 0:
        head = text[:keep]
        space = head.rfind(" ")
        if space > max(0, keep - 40):  # cut at a word boundary when one is near
            head = head[:space]
        out = f"“{escape(head.rstrip())}{cut_marker(len(text) - len(head.rstrip()))}”"
        if len(out) <= limit:
            return out
        keep -= max(1, len(out) - limit)
    return f"“{cut_marker(len(text)).strip()}”"


def _clip(text: str, limit: int) -> str:
    """Clip a label we wrote ourselves (title, heading), never a quote."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _run(run: Run) -> str:
    if run.channel:
        return f"<#{run.channel}>" if run.channel.isdigit() else escape(f"#{run.channel}")
    text = escape(_clip(run.text, 400))
    if not text:
        return ""
    url = safe_url(run.url)
    if url:
        text = f"[{text}]({url})"
    if run.style == Style.STRONG:
        return f"**{text}**"
    if run.style == Style.EMPH:
        return f"*{text}*"
    if run.style == Style.CODE:
        return f"`{run.text.replace('`', '')}`"
    return text


def _line(line: Line) -> str:
    return "".join(_run(r) for r in line)


def _source(source: SourceLine, link: bool = True) -> str:
    """`[Publisher](url) · 24 Nov 2026, via Reuters · *label*`."""
    name = escape(_clip(source.publisher or "unknown source", 200))
    url = safe_url(source.url) if link else None
    out = f"[{name}]({url})" if url else name
    out += f" · {source.day}"
    if source.via:
        out += f", via {escape(_clip(source.via, 100))}"
    if source.label:
        out += f" · *{source.label}*"
    return out


def _item(item: Item, budget: int) -> str:
    """One item as markdown within `budget` characters (room left for a continued heading)."""
    lead = _line(item.lead)
    if item.note:
        lead = f"*{item.note}*" + (f"\n{lead}" if lead else "")
    tail = f"— {_source(item.source)}" if item.source and item.quotes else ""
    if item.source and not item.quotes:
        tail = _source(item.source, link=False)
    details = [_line(d) for d in item.details]
    if details:
        tail = " · ".join([tail, *details]) if tail else " · ".join(details)
    fixed = len(lead) + len(tail) + 8
    room = max(80, (budget - 120 - fixed) // max(1, len(item.quotes)))
    quotes = [quoted(q, room) for q in item.quotes]
    body = "\n↔ ".join(quotes)
    return "\n".join(part for part in (lead, body, tail) if part)


# ------------------------------------------------------------------------------ paging


@dataclass(frozen=True, slots=True)
class _Block:
    heading: str | None
    items: tuple[str, ...]


def paginate(blocks: Iterable[_Block], budget: int = PAGE_BUDGET) -> list[str]:
    """Pack items into page descriptions of at most `budget` characters, never splitting one."""
    pages: list[str] = []
    current = ""
    for block in blocks:
        for i, item in enumerate(block.items):
            heading = f"**{escape(block.heading)}**\n" if block.heading and i == 0 else ""
            piece = heading + item
            if current and len(current) + 2 + len(piece) > budget:
                pages.append(current)
                current = ""
                if block.heading and i > 0:
                    piece = f"**{escape(continued(block.heading))}**\n{item}"
            current = f"{current}\n\n{piece}" if current else piece
    if current or not pages:
        pages.append(current)
    return pages


def _blocks(view: Layout, budget: int) -> list[_Block]:
    blocks = []
    if view.notes:
        blocks.append(_Block(None, (" · ".join(f"*{_line(n)}*" for n in view.notes),)))
    for section in view.sections:
        if section.items:
            blocks.append(_Block(section.heading, tuple(_item(i, budget) for i in section.items)))
        elif section.empty:
            blocks.append(_Block(section.heading, (escape(section.empty),)))
    return blocks


def _short(view: Layout) -> RenderedAnswer:
    text = _line(view.message or ())
    if view.usage:
        text += f"\nUsage: `{view.usage.replace('`', '')}`"
    return RenderedAnswer(pages=(DiscordMessage(content=_clip(text, CONTENT_MAX)),), ephemeral=view.private)


# ------------------------------------------------------------------------------ review controls
# (their ids: `layout.control_id`; a press is checked by the front end, never trusted from the id)


def _button(label: str, custom_id: str, style: int, disabled: bool = False) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": 2,
        "style": style,
        "label": _clip(label, BUTTON_LABEL_MAX),
        "custom_id": custom_id,
    }
    if disabled:
        button["disabled"] = True
    return button


_STYLES = {Verb.ACCEPT: 3, Verb.REJECT: 4, Verb.EDIT: 2, Verb.PAGE: 2, Verb.PROMOTE: 1}  # 1 primary 2 secondary


def _control(action: Action) -> dict[str, Any] | None:
    if action.verb == Verb.EDIT:
        custom_id = control_id("m", action, action.field)
        label = f"{action.label} {action.item}".strip() if action.item else action.label
    else:
        custom_id = control_id(CONTROL_CODES[action.verb], action)
        label = f"{action.label} {action.item}" if action.item else action.label
    if len(custom_id) > CUSTOM_ID_MAX or not action.key:
        return None  # cannot happen with handles and drafted ids; the command line still works
    return _button(label, custom_id, _STYLES[action.verb], disabled=action.done)


def _row(controls: Iterable[dict[str, Any] | None]) -> dict[str, Any] | None:
    kept = [c for c in controls if c is not None][:BUTTONS_PER_ROW]
    return {"type": 1, "components": kept} if kept else None


def review_components(view: Layout) -> tuple[dict[str, Any], ...]:
    """A row of buttons per item (accept, reject, an edit's menu), then the article's row (pages,
    accept all, reject all): at most five rows, as Discord allows."""
    item_rows = [_row(_control(a) for a in item.actions) for item in view.items() if item.actions]
    rows = [r for r in item_rows if r is not None][: ACTION_ROWS - 1]
    article_row = _row(_control(a) for a in view.actions)
    if article_row is not None:
        rows.append(article_row)
    return tuple(rows)


def edit_menu(view: Layout, item: str, field: str) -> tuple[dict[str, Any], ...] | None:
    """The components of a card whose edit menu is open: a select of the edit's choices for
    `item`, and a button back to the card. None when the card has no such edit."""
    action = next(
        (a for i in view.items() for a in i.actions if a.verb == Verb.EDIT and a.item == item and a.field == field),
        None,
    )
    if action is None or not action.options:
        return None
    options = [
        {"label": _clip(label, OPTION_TEXT_MAX), "value": value}
        for value, label in action.options[:SELECT_OPTIONS_MAX]
        if len(value) <= OPTION_TEXT_MAX
    ]
    select = {
        "type": 3,
        "custom_id": control_id("e", action, field),
        "placeholder": _clip(f"{action.label.rstrip('…')} of {item}", 150),
        "options": options,
        "min_values": 1,
        "max_values": 1,
    }
    back = Action(Verb.PAGE, action.article, action.key, "", "Back", action.page)
    return (
        {"type": 1, "components": [select]},
        {"type": 1, "components": [_button("Back", control_id("p", back), 2)]},
    )


def render_layout(view: Layout, *, budget: int = PAGE_BUDGET) -> RenderedAnswer:
    """A layout as Discord pages (one embed each); a review card is one page with its controls."""
    if view.is_message:
        return _short(view)
    if view.actions or any(item.actions for item in view.items()):
        single = render_layout(replace(view, actions=(), sections=_without_actions(view.sections)), budget=budget)
        first = single.pages[0]
        card = DiscordMessage(embeds=first.embeds, content=first.content, components=review_components(view))
        return RenderedAnswer(pages=(card,), ephemeral=view.private)
    descriptions = paginate(_blocks(view, budget), budget)
    messages = []
    for n, description in enumerate(descriptions, start=1):
        embed: dict[str, Any] = {"type": "rich", "title": _clip(view.title, TITLE_MAX), "color": COLOURS[view.tone]}
        if description:
            embed["description"] = description[:DESCRIPTION_MAX]
        footer = view.footer
        if len(descriptions) > 1:
            footer = f"Page {n} of {len(descriptions)}" + (f" · {footer}" if footer else "")
        if footer:
            embed["footer"] = {"text": _clip(footer, FOOTER_MAX)}
        messages.append(DiscordMessage(embeds=(embed,)))
    rerun = view.rerun if len(messages) > 1 else None
    return RenderedAnswer(pages=tuple(messages), ephemeral=view.private, rerun=rerun)


def _without_actions(sections: tuple[Section, ...]) -> tuple[Section, ...]:
    return tuple(replace(s, items=tuple(replace(i, actions=()) for i in s.items)) for s in sections)


def render(answer: Answer, *, budget: int = PAGE_BUDGET) -> RenderedAnswer:
    """Any answer of the core -> its Discord pages."""
    return render_layout(lay_out(answer), budget=budget)


def message_chars(message: DiscordMessage) -> int:
    """Characters of a message that count towards Discord's 6,000 embed limit."""
    total = 0
    for e in message.embeds:
        total += len(e.get("title", "")) + len(e.get("description", ""))
        total += len(e.get("footer", {}).get("text", ""))
        total += sum(len(f["name"]) + len(f["value"]) for f in e.get("fields", []))
    return total


__all__ = ["ALLOWED_MENTIONS_NONE", "PAGE_BUDGET", "DiscordMessage", "RenderedAnswer", "render", "render_layout"]
