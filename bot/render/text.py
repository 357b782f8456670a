"""Layouts -> plain text for the console (and for scheduled digests printed in the terminal).

Pure functions: nothing is printed here. Quotes stand in curly quotation marks, each item's
source on its own line with its link, labels in square brackets.
"""

from __future__ import annotations

from bot.core.models import Answer
from bot.render.layout import Item, Layout, Line, layout, line_text

INDENT = "    "


def _line(line: Line) -> str:
    return line_text(line)


def _item(item: Item) -> list[str]:
    lines = []
    lead = _line(item.lead)
    if item.note:
        lead = f"{lead} [{item.note}]" if lead else f"[{item.note}]"
    if lead:
        lines.append(f"• {lead}")
    for n, quote in enumerate(item.quotes):
        prefix = "• " if not lead and n == 0 else INDENT + ("vs " if n else "")
        lines.append(f"{prefix}“{quote}”")
    if item.source is not None:
        label = f" [{item.source.label}]" if item.source.label else ""
        url = f"  {item.source.url}" if item.source.url else ""
        if item.quotes:
            lines.append(f"{INDENT}— {item.source.text}{label}{url}")
        else:
            lines.append(f"{INDENT}{item.source.text}{label}")
    if item.lead and not item.quotes:
        link = next((r.url for r in item.lead if r.url), None)
        if link:
            lines[-1] += f" — {link}"
    lines += [f"{INDENT}{_line(d)}" for d in item.details]
    return lines


def render_layout(view: Layout) -> str:
    if view.message is not None:
        text = _line(view.message)
        return f"{text}\nUsage: {view.usage}" if view.usage else text
    lines = [view.title]
    lines += [f"({_line(n)})" for n in view.notes]
    for section in view.sections:
        lines.append("")
        if section.heading:
            lines.append(f"{section.heading}:")
        if not section.items and section.empty:
            lines.append(section.empty)
        for item in section.items:
            lines += _item(item)
    if view.footer:
        lines += ["", f"({view.footer})"]
    return "\n".join(lines)


def render_text(answer: Answer) -> str:
    """Any answer of the core as console text."""
    return render_layout(layout(answer))
